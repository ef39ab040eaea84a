DROP TABLE sstu_sent;
