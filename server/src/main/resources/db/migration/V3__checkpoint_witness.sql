-- The checkpoint witness (docs/fleet.md, "The checkpoint witness"): the service keeps each agent's witnessed log head
-- and refuses, and alarms on, a checkpoint that forks or rolls the log back.

-- The public key the agent's audit log signs its checkpoints with, pinned at enrollment (enroll-agent --log-key FILE):
-- a signed-note verifier key NAME+HEXID+BASE64. Null: the agent's checkpoints are refused.
ALTER TABLE agents ADD COLUMN log_key text;

-- Each accepted checkpoint keeps its whole signed note (served back as the head, so anyone can check it with the key),
-- and the replica that accepted it. The head is the agent's row with the largest tree_size.
ALTER TABLE checkpoints ADD COLUMN note text;
ALTER TABLE checkpoints ADD COLUMN replica text;

-- A fork or a rollback refused: the refused signed note beside the head it contradicts is the evidence, for a person.
CREATE TABLE alarms (
    id           bigserial PRIMARY KEY,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    replica      text NOT NULL,
    agent_id     text NOT NULL REFERENCES agents (id),
    kind         text NOT NULL CHECK (kind IN ('fork', 'rollback')),
    tree_size    bigint NOT NULL,
    head_size    bigint NOT NULL,
    detail       text NOT NULL,
    refused_note text NOT NULL,
    head_note    text NOT NULL
);
CREATE INDEX alarms_by_agent ON alarms (agent_id, at);
