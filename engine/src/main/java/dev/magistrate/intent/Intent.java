package dev.magistrate.intent;

import dev.magistrate.canonical.CanonicalJson;
import dev.magistrate.policy.PolicyInput;
import dev.magistrate.policy.Tier;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What an agent wants to do, recorded once and never changed. It is the policy's input as is, so
 * deciding copies nothing. Arguments keep the order they were given in (a method's parameter
 * order) and are looked up by name; their canonical JSON and digest are computed when the intent
 * is built, which also rejects arguments that cannot be encoded before anything is decided.
 */
public final class Intent implements PolicyInput {

    private final String id;
    private final String action;
    private final String resource;
    private final Map<String, Object> args;
    /** The map behind {@link #args}, read by {@link #argument}: the policy's lookups inline one map's {@code get}, not a wrapper's. */
    private final LinkedHashMap<String, Object> argsByName;
    private final String justification;
    private final String urgency;
    private final Number estimatedCost;
    private final String rollbackPlan;
    private final String agent;
    private final Instant submittedAt;
    private final String parentIntentId;
    private final Tier minimumTier;
    private final String argsCanonicalJson;
    private final String argsDigest;

    /** The same intent (id, action, agent, parent, time, ...) with other arguments: an approver's edit, decided again. */
    public Intent withArgs(Map<String, ?> edited) {
        return copy().args(edited).build();
    }

    /** The same intent linked to a parent: the call that came back with the information an approver asked for. */
    public Intent withParent(String parent) {
        return copy().args(args).parentIntentId(parent).build();
    }

    private Builder copy() {
        return new Builder().id(id).action(action).resource(resource).justification(justification).urgency(urgency)
                .estimatedCost(estimatedCost).rollbackPlan(rollbackPlan).agent(agent).submittedAt(submittedAt)
                .parentIntentId(parentIntentId).minimumTier(minimumTier);
    }

    private Intent(Builder b) {
        this.id = b.id != null ? b.id : TimeOrderedId.next();
        this.action = requireText(b.action, "action");
        this.resource = b.resource;
        this.argsByName = b.takeArgs(); // the builder's own map, not a copy: it copies before it changes again
        this.args = Collections.unmodifiableMap(argsByName);
        this.justification = b.justification;
        this.urgency = b.urgency;
        this.estimatedCost = b.estimatedCost;
        this.rollbackPlan = b.rollbackPlan;
        this.agent = requireText(b.agent, "agent");
        this.submittedAt = b.submittedAt != null ? b.submittedAt : b.clock.instant();
        this.parentIntentId = b.parentIntentId;
        this.minimumTier = b.minimumTier;
        try {
            this.argsCanonicalJson = CanonicalJson.encode(this.args);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("intent for action '" + action + "': arguments cannot be encoded: " + e.getMessage(), e);
        }
        this.argsDigest = "sha256:" + CanonicalJson.sha256Hex(argsCanonicalJson.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static String requireText(String value, String field) {
        if (value == null || value.isBlank()) throw new IllegalArgumentException("intent field '" + field + "' is required");
        return value;
    }

    public static Builder builder(String action) {
        return new Builder().action(action);
    }

    /** Time-ordered (UUIDv7) and unique. */
    public String id() { return id; }

    @Override public String action() { return action; }

    @Override public String resource() { return resource; }

    /** The arguments by name, in the order given. Values may be {@code null}. */
    public Map<String, Object> args() { return args; }

    @Override public Object argument(String name) { return argsByName.get(name); }

    @Override public String justification() { return justification; }

    @Override public String urgency() { return urgency; }

    public Number estimatedCost() { return estimatedCost; }

    @Override public Object cost() { return estimatedCost; }

    public String rollbackPlan() { return rollbackPlan; }

    @Override public String agent() { return agent; }

    public Instant submittedAt() { return submittedAt; }

    @Override public Instant time() { return submittedAt; }

    /** The intent this one was spawned from, or {@code null}. */
    public String parentIntentId() { return parentIntentId; }

    /** A floor the developer set on the tool ({@code @GovernedAction(minimumTier = ...)}), or null. */
    public Tier minimumTier() { return minimumTier; }

    /** The arguments in canonical JSON (docs/warrants.md), as hashed into {@link #argsDigest()}. */
    public String argsCanonicalJson() { return argsCanonicalJson; }

    /** {@code sha256:<hex>} of the canonical arguments; a warrant binds the call to it. */
    public String argsDigest() { return argsDigest; }

    @Override
    public boolean equals(Object o) {
        return o instanceof Intent other && other.id.equals(id);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "Intent[" + id + " " + action + (resource != null ? " on " + resource : "") + " by " + agent
                + " args=" + args.keySet() + "]";
    }

    public static final class Builder {
        private String id;
        private String action;
        private String resource;
        private LinkedHashMap<String, Object> args = new LinkedHashMap<>();
        /** Set when an intent was built with {@link #args}: it owns that map now, so the builder adds to a copy. */
        private boolean argsTaken;
        private String justification;
        private String urgency;
        private Number estimatedCost;
        private String rollbackPlan;
        private String agent;
        private Instant submittedAt;
        private String parentIntentId;
        private Tier minimumTier;
        private Clock clock = Clock.systemUTC();

        private Builder() {
        }

        /** Overrides the generated id: for re-reading recorded intents, and for a rollback whose id its trigger announced. */
        public Builder id(String id) { this.id = id; return this; }

        public Builder action(String action) { this.action = action; return this; }

        public Builder resource(String resource) { this.resource = resource; return this; }

        public Builder arg(String name, Object value) {
            Objects.requireNonNull(name, "argument name");
            if (args.containsKey(name)) throw new IllegalArgumentException("argument '" + name + "' given twice");
            if (argsTaken) {
                args = new LinkedHashMap<>(args);
                argsTaken = false;
            }
            args.put(name, value);
            return this;
        }

        public Builder args(Map<String, ?> values) {
            values.forEach(this::arg);
            return this;
        }

        public Builder justification(String justification) { this.justification = justification; return this; }

        public Builder urgency(String urgency) { this.urgency = urgency; return this; }

        public Builder estimatedCost(Number cost) { this.estimatedCost = cost; return this; }

        /**
         * The cost as a tool's cost parameter carries it (what the agent and the Spring starter pass): a number, or text
         * that is one; anything else is no cost.
         */
        public Builder estimatedCostFrom(Object parameterValue) {
            if (parameterValue instanceof Number n) return estimatedCost(n);
            if (parameterValue instanceof CharSequence s) {
                try {
                    return estimatedCost(new BigDecimal(s.toString().strip()));
                } catch (NumberFormatException notANumber) {
                    return estimatedCost(null);
                }
            }
            return estimatedCost(null);
        }

        public Builder rollbackPlan(String rollbackPlan) { this.rollbackPlan = rollbackPlan; return this; }

        public Builder agent(String agent) { this.agent = agent; return this; }

        public Builder submittedAt(Instant at) { this.submittedAt = at; return this; }

        /** The clock that stamps {@link Intent#submittedAt()} when none is given. */
        public Builder clock(Clock clock) { this.clock = Objects.requireNonNull(clock); return this; }

        public Builder parentIntentId(String parentIntentId) { this.parentIntentId = parentIntentId; return this; }

        /** The decision is never below this tier, whatever the policy says; null for none. */
        public Builder minimumTier(Tier tier) { this.minimumTier = tier; return this; }

        public Intent build() {
            return new Intent(this);
        }

        private LinkedHashMap<String, Object> takeArgs() {
            argsTaken = true;
            return args;
        }
    }
}
