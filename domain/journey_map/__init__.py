"""The journey map: one journey's stages with their figures, touchpoints, emotions,
observations, alerts and actions, read together for a period (docs/journey_map.md)."""
