DROP TABLE sstu_part_plans;
