-- +goose Up
-- Whether a number's drain is running (until when): campaigns that queue
-- work wake only numbers that are not draining, without asking Temporal.
CREATE TABLE sender_dispatch (
    sender_id      BIGINT PRIMARY KEY,
    draining_until TIMESTAMPTZ
);

-- +goose Down
DROP TABLE sender_dispatch;
