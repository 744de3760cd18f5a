"""What the doors share at run time, below them and above the domain: settings, the database
engine, the per-process `Runtime`, the live listener, the background folder, request bodies,
database-outage detection and the operator's counters. `journeyops/` wires these together."""
