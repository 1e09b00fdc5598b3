-- +goose Up
-- Unique users newly reached per portfolio per hour: the rolling-24h count
-- of the messaging limit is a sum of at most 25 rows instead of a count
-- over every reach (numbers of a portfolio near its limit take turns, so
-- the check must be cheap).
CREATE TABLE portfolio_reach_hourly (
    portfolio TEXT        NOT NULL,
    hour      TIMESTAMPTZ NOT NULL,
    n         INT         NOT NULL DEFAULT 0,
    PRIMARY KEY (portfolio, hour)
);
INSERT INTO portfolio_reach_hourly (portfolio, hour, n)
    SELECT portfolio, date_trunc('hour', reached_at), count(*) FROM portfolio_reach
    WHERE reached_at > now() - interval '25 hours' GROUP BY 1, 2;

-- +goose Down
DROP TABLE portfolio_reach_hourly;
