-- Milestone 1 of the fleet service (docs/fleet.md). Every state change of a request is one conditional UPDATE
-- (WHERE state = 'pending'), so replicas sharing this database agree on one final state.

-- An agent's token is 256 random bits; only its SHA-256 is stored (nothing here lets anyone act as an agent).
CREATE TABLE agents (
    id           text PRIMARY KEY,
    token_sha256 bytea NOT NULL UNIQUE,
    enrolled_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- One row per intent: what was asked, what the policy decided, and where the request stands.
CREATE TABLE requests (
    id                 text PRIMARY KEY,
    agent_id           text NOT NULL REFERENCES agents (id),
    action             text NOT NULL,
    args_json          text NOT NULL,   -- canonical JSON (docs/warrants.md), as hashed into args_digest
    args_digest        text NOT NULL,
    justification      text,
    urgency            text,
    cost               numeric,
    effect             text NOT NULL CHECK (effect IN ('allow', 'approve', 'deny')),
    tier               text NOT NULL CHECK (tier IN ('T0', 'T1', 'T2', 'T3')),
    matched_rules      text NOT NULL,   -- JSON array
    policy_version     text NOT NULL,
    required_approvals integer NOT NULL,
    required_roles     text NOT NULL,   -- JSON array
    mfa_required       boolean NOT NULL,
    warrant_ttl_ms     bigint NOT NULL,
    state              text NOT NULL CHECK (state IN ('pending', 'approved', 'denied', 'timed_out')),
    reason             text,
    decided_by         text,
    submitted_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    deadline           timestamptz,
    decided_at         timestamptz,
    votes_cast         integer NOT NULL DEFAULT 0
);
CREATE INDEX requests_pending_by_deadline ON requests (deadline) WHERE state = 'pending';

-- One vote per approver per request (the primary key refuses a second one).
CREATE TABLE votes (
    request_id  text NOT NULL REFERENCES requests (id),
    approver_id text NOT NULL,
    verdict     text NOT NULL CHECK (verdict IN ('approve', 'deny')),
    comment     text,
    credential  text NOT NULL,          -- how the approver was authenticated, never the secret
    replica     text NOT NULL,
    cast_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (request_id, approver_id)
);

-- The last TOTP time step accepted from each approver, on any replica: a code is single-use across the fleet
-- (each replica's MfaVerifier also spends it locally and counts wrong codes, per replica).
CREATE TABLE totp_steps (
    approver_id text PRIMARY KEY,
    last_step   bigint NOT NULL
);

-- At most one warrant per request, whichever replica granted it.
CREATE TABLE warrants (
    id           text PRIMARY KEY,
    request_id   text NOT NULL UNIQUE REFERENCES requests (id),
    warrant_json text NOT NULL,
    expires_at   timestamptz NOT NULL,
    replica      text NOT NULL,
    issued_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Single use across the fleet: consuming is an INSERT on the warrant id; a second one is a replay.
CREATE TABLE consumptions (
    warrant_id    text PRIMARY KEY REFERENCES warrants (id),
    request_id    text NOT NULL REFERENCES requests (id),
    agent_id      text NOT NULL,
    outcome       text NOT NULL CHECK (outcome IN ('started', 'succeeded', 'failed')),
    result_digest text,
    replica       text NOT NULL,
    consumed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    confirmed_at  timestamptz
);

-- Every refused API call: who (when known), what, and why. The service's own audit of refusals.
CREATE TABLE refusals (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    replica   text NOT NULL,
    route     text NOT NULL,
    principal text,
    subject   text,
    status    integer NOT NULL,
    reason    text NOT NULL
);

-- Agents' signed log checkpoints, for the witness of a later milestone (not written yet).
CREATE TABLE checkpoints (
    agent_id    text NOT NULL REFERENCES agents (id),
    tree_size   bigint NOT NULL,
    root_hash   text NOT NULL,
    key_id      text NOT NULL,
    signature   text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (agent_id, tree_size)
);
