package dev.magistrate.policy;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A plain {@link PolicyInput} for tools and tests that decide without an engine intent
 * ({@code policy eval}, policy test files). Build one with {@link #builder(String)}.
 */
public record PolicyRequest(String action, String resource, String agent, String justification, String urgency,
                            Object cost, Instant time, Map<String, Object> arguments) implements PolicyInput {

    public PolicyRequest {
        arguments = Collections.unmodifiableMap(new LinkedHashMap<>(arguments));
    }

    @Override
    public Object argument(String name) {
        return arguments.get(name);
    }

    public static Builder builder(String action) {
        return new Builder(action);
    }

    public static final class Builder {
        private final String action;
        private String resource;
        private String agent;
        private String justification;
        private String urgency;
        private Object cost;
        private Instant time = Instant.now();
        private final Map<String, Object> arguments = new LinkedHashMap<>();

        private Builder(String action) {
            this.action = action;
        }

        public Builder resource(String v) { resource = v; return this; }

        public Builder agent(String v) { agent = v; return this; }

        public Builder justification(String v) { justification = v; return this; }

        public Builder urgency(String v) { urgency = v; return this; }

        public Builder cost(Object v) { cost = v; return this; }

        public Builder time(Instant v) { time = v; return this; }

        public Builder arg(String name, Object value) { arguments.put(name, value); return this; }

        public PolicyRequest build() {
            return new PolicyRequest(action, resource, agent, justification, urgency, cost, time, arguments);
        }
    }
}
