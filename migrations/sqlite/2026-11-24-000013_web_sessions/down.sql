DROP TABLE web_sessions;
DROP TABLE user_passwords;
