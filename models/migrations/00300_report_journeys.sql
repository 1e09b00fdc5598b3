-- +goose Up
-- Journeys in the reports (#19): every funnel delta a journey's step
-- record appends (journey_funnel_delta, 00250: entered, sent, replied,
-- branched, exited per version and step) is also a kind 9 report delta at
-- its moment, which the reports' fold adds to report_journey_daily; the
-- report reads a journey's step funnel over any range of days, which the
-- journey's own counters (cumulative, folded away from their deltas)
-- cannot give. One statement-level trigger: a record's deltas are one
-- INSERT, and they cost one more INSERT ... SELECT, not one per row.
-- report_delta's columns hold: campaign = the journey, code = the version,
-- key = the step, key2 = the counter, labels[1] = the detail, sender = the
-- journey's number.
CREATE TABLE report_journey_daily (
    day        DATE   NOT NULL,
    journey_id BIGINT NOT NULL,
    version    INT    NOT NULL,
    sender_id  BIGINT NOT NULL,
    step_id    TEXT   NOT NULL,
    counter    TEXT   NOT NULL,
    detail     TEXT   NOT NULL,
    n          BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day, journey_id, version, sender_id, step_id, counter, detail)
);

-- +goose StatementBegin
CREATE FUNCTION report_journey_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO report_delta (kind, at, sender, campaign, code, key, key2, labels, d)
    SELECT 9, now(), COALESCE(j.sender_id, 0), d.journey_id, d.version, d.step_id, d.counter, ARRAY[d.detail], ARRAY[d.n::bigint]
    FROM new_rows d LEFT JOIN journeys j ON j.id = d.journey_id;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER report_journey AFTER INSERT ON journey_funnel_delta
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION report_journey_trg();

-- The counts recorded before this migration have no day any more: they are
-- kept on the day of the migration, so a range that includes it sums to
-- the journey's own funnel.
INSERT INTO report_journey_daily (day, journey_id, version, sender_id, step_id, counter, detail, n)
SELECT (now() AT TIME ZONE (SELECT zone FROM report_settings WHERE id = 1))::date, x.journey_id, x.version,
    COALESCE(j.sender_id, 0), x.step_id, x.counter, x.detail, sum(x.n)
FROM (SELECT journey_id, version, step_id, counter, detail, n FROM journey_funnel
      UNION ALL SELECT journey_id, version, step_id, counter, detail, n FROM journey_funnel_delta) x
LEFT JOIN journeys j ON j.id = x.journey_id
GROUP BY 1, 2, 3, 4, 5, 6, 7 HAVING sum(x.n) <> 0;

-- +goose Down
DROP TRIGGER report_journey ON journey_funnel_delta;
DROP FUNCTION report_journey_trg;
DROP TABLE report_journey_daily;
