-- Windows decided by the service (docs/fleet.md, "Fleet windows"): count()/sum() per agent and count_fleet()/sum_fleet()
-- for the whole fleet. One row per window and key holds a ring of fixed buckets and their total, as the engine's
-- SlidingWindow does in memory, so reading a window is one row, never a scan of calls. A decision takes the rows of the
-- windows it reads with one upsert (in definition order: no deadlock), decides, and writes what it reserves before it
-- commits: two replicas deciding at once are counted one after the other.
CREATE TABLE window_counters (
    window_def text   NOT NULL,   -- the window's canonical text, e.g. sum_fleet(cost, 'buy', 1h): its identity
    scope_key  text   NOT NULL,   -- the agent id, or '*' for a fleet window
    bucket_ms  bigint NOT NULL,   -- 1/60 of the window
    head       bigint,            -- the newest bucket held (epoch millis / bucket_ms); null before the first amount
    total      bigint NOT NULL,   -- the sum of the buckets held, in millionths
    amounts    bigint[] NOT NULL, -- 61 buckets, indexed by bucket mod 61
    PRIMARY KEY (window_def, scope_key)
);

-- What each call reserved, so that a denial by an approver, a timeout or a warrant that expired unused gives it back
-- once (state 'reserved' -> 'returned', a conditional update), and a call that started keeps it ('final').
CREATE TABLE window_spends (
    request_id text   NOT NULL REFERENCES requests (id),
    window_def text   NOT NULL,
    scope_key  text   NOT NULL,
    at_ms      bigint NOT NULL,   -- the database's time of the decision
    amount     bigint NOT NULL,   -- millionths
    state      text   NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'final', 'returned')),
    PRIMARY KEY (request_id, window_def)
);
CREATE INDEX window_spends_reserved ON window_spends (request_id) WHERE state = 'reserved';
