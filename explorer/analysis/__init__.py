"""The numbers the views derive from traces and gradients: internals (orderings, saturation, step equations,
exports), highlights (the sentences the pages say), probes, units, task_features (what a unit may track on each
task) and known_units, interventions, and the course views (shapes, family). No streamlit, no figures."""
