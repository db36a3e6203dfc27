-- Per model version: positions, profiles and fallback rates, for the Prometheus gauges.
SELECT model_version, positions, profiles, seniority_fallback_rate, department_fallback_rate FROM model_stats;
