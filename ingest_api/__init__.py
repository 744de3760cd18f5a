"""Event ingestion over HTTP in the shape of the Segment Tracking API: /v1/batch, /v1/track,
/v1/identify. Parse → authenticate → the one ingestion use case → answer."""
