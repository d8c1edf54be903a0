-- Up and down in one file.
-- +up
CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id),
    title VARCHAR(200) NOT NULL
);
CREATE INDEX posts_user ON posts (user_id);
-- +down
DROP TABLE posts;
