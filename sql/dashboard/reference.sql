-- The class shares of the model's training data, what drift is measured against.
SELECT task, label, share FROM reference_distributions WHERE model_version = :model_version;
