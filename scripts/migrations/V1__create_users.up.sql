-- The first table. Portable SQL: runs on SQLite, PostgreSQL and MySQL/MariaDB.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name VARCHAR(100) NOT NULL
);
INSERT INTO users (id, name) VALUES (1, 'ann'), (2, 'bob');
