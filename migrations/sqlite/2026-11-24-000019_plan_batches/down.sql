DROP TABLE plan_batches;
