DROP TABLE visitor_reads;
