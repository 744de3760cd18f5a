// Runs graphql-http's audit of the GraphQL over HTTP spec against a running /graphql and prints
// every result as JSON on stdout: [{id, name, status, reason?, response?}, …].
//
//   node audit.mjs http://127.0.0.1:8000/graphql   (the token in GRAPHQL_AUDIT_TOKEN)
//
// The audits send no credentials of their own, so a fetch that adds the bearer token stands in
// for the global one.
import { auditServer } from 'graphql-http';

const [url] = process.argv.slice(2);
const token = process.env.GRAPHQL_AUDIT_TOKEN;
if (!url || !token) {
  console.error('usage: GRAPHQL_AUDIT_TOKEN=<token> node audit.mjs <url of /graphql>');
  process.exit(2);
}

function fetchWithToken(input, init = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(input, { ...init, headers });
}

async function describe(result) {
  if (result.status === 'ok') {
    return { id: result.id, name: result.name, status: result.status };
  }
  const response = result.response;
  let body = null;
  try {
    body = (await response.text()).slice(0, 2000);
  } catch {
    // the audit read the body already; its reason says what was wrong
  }
  return {
    id: result.id,
    name: result.name,
    status: result.status,
    reason: result.reason,
    response: {
      status: response.status,
      contentType: response.headers.get('content-type'),
      body,
    },
  };
}

const results = await auditServer({ url, fetchFn: fetchWithToken });
console.log(JSON.stringify(await Promise.all(results.map(describe)), null, 2));
