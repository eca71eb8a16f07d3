package dev.magistrate.audit;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The typed fields of each audit event type: one record per {@link AuditEventType}, the one definition
 * that the engine writes with ({@link AuditEvent#of(String, java.time.Instant, AuditPayload)}) and the
 * readers read with ({@link AuditEvent#payload()}). Each record's {@link #writeFields} writes its fields by
 * their documented names in the documented order (docs/audit-events.md): that is what the canonical
 * bytes hold, so the order of the puts is part of the on-disk format. Each record's
 * {@code read} is the strict inverse: a field that is missing or of the wrong type is a
 * {@link MalformedAuditEventException} naming the type and the field. Fields an entry holds beyond
 * these (written by a newer engine) are not read here; they stay in {@link AuditEvent#fields()}.
 *
 * <p>String fields are {@code null} when they do not apply; lists, integers and booleans are always present.
 */
public sealed interface AuditPayload {

    AuditEventType type();

    /**
     * Writes the fields by their documented names, in the documented order: the one definition of an entry's fields. The log
     * encodes an entry straight from here into its canonical bytes, with no map in between ({@link CanonicalEntry}).
     */
    void writeFields(FieldWriter out);

    /** The fields by their documented names, in the documented order: a new map each time, the caller's to change. */
    default Map<String, Object> fields() {
        Map<String, Object> m = new LinkedHashMap<>(32); // 21 fields at most (CALL_GRANTED): never resized
        writeFields(m::put);
        return m;
    }

    /**
     * Where a payload writes its fields, one call per field in order. The value types are those an entry may hold (see
     * {@link AuditEvent}); a String or list may be null where the field does not apply.
     */
    @FunctionalInterface
    interface FieldWriter {
        void field(String name, Object value);

        default void put(String name, String value) {
            field(name, value);
        }

        default void put(String name, long value) {
            field(name, value);
        }

        default void put(String name, boolean value) {
            field(name, value);
        }

        default void put(String name, List<String> value) {
            field(name, value);
        }
    }

    /**
     * Reads the typed fields of a stored event.
     *
     * @throws MalformedAuditEventException when a field is missing or of the wrong type (a damaged or forged entry)
     */
    static AuditPayload read(AuditEvent e) {
        StoredFields f = new StoredFields(e);
        return switch (e.type()) {
            case INTENT_SUBMITTED -> IntentSubmitted.read(f);
            case DECISION -> Decision.read(f);
            case APPROVAL_REQUESTED -> ApprovalRequested.read(f);
            case VOTE -> Vote.read(f);
            case WARRANT_ISSUED -> WarrantIssued.read(f);
            case INTENT_DENIED -> IntentDenied.read(f);
            case INTENT_TIMED_OUT -> IntentTimedOut.read(f);
            case WARRANT_VERIFIED -> WarrantVerified.read(f);
            case WARRANT_REJECTED -> WarrantRejected.read(f);
            case EXECUTION_STARTED -> ExecutionStarted.read(f);
            case EXECUTION_COMPLETED -> ExecutionCompleted.read(f);
            case EXECUTION_FAILED -> ExecutionFailed.read(f);
            case LOG_RECOVERED -> LogRecovered.read(f);
            case ACCESS -> Access.read(f);
            case ARGUMENTS_EDITED -> ArgumentsEdited.read(f);
            case INFORMATION_REQUESTED -> InformationRequested.read(f);
            case INTENT_ABANDONED -> IntentAbandoned.read(f);
            case SHADOW_DECISION -> ShadowDecision.read(f);
            case POLICY_LOADED -> PolicyLoaded.read(f);
            case POLICY_REJECTED -> PolicyRejected.read(f);
            case BREAK_GLASS_OPENED -> BreakGlassOpened.read(f);
            case BREAK_GLASS_USED -> BreakGlassUsed.read(f);
            case BREAK_GLASS_REVIEWED -> BreakGlassReviewed.read(f);
            case ROLLBACK_TRIGGERED -> RollbackTriggered.read(f);
            case WITNESS_REFUSED -> WitnessRefused.read(f);
            case FLEET_ANSWER -> FleetAnswer.read(f);
            case CALL_GRANTED -> CallGranted.read(f);
        };
    }

    /**
     * The steps of a call this entry records, in order: the one place where a {@link CallGranted} is read as the
     * INTENT_SUBMITTED, DECISION and EXECUTION_STARTED it stands for; every other entry is its own one step.
     */
    default List<AuditPayload> steps() {
        return List.of(this);
    }

    /**
     * A T0 call allowed and run in this process, in one entry written before its body: what was submitted, then what was
     * decided (an allow at T0), then started without a warrant. Its fields are the submission's followed by the decision's
     * ({@code action}, which both hold, once).
     */
    record CallGranted(IntentSubmitted submitted, Decision decision) implements AuditPayload {
        public CallGranted {
            if (!java.util.Objects.equals(submitted.action(), decision.action())) {
                throw new IllegalArgumentException("a granted call's submission and decision name different actions: "
                        + submitted.action() + ", " + decision.action());
            }
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.CALL_GRANTED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            submitted.writeFields(m);
            decision.writeVerdict(m); // "action", which both hold with the same value, once: the submission's
        }

        @Override
        public List<AuditPayload> steps() {
            return List.of(submitted, decision, new ExecutionStarted(null));
        }

        static CallGranted read(StoredFields f) {
            return new CallGranted(IntentSubmitted.read(f), Decision.read(f));
        }
    }

    /** Found on start: the process stopped while the intent waited for approval, so it can never run. */
    record IntentAbandoned(String reason) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.INTENT_ABANDONED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("reason", reason);
        }

        static IntentAbandoned read(StoredFields f) {
            return new IntentAbandoned(f.string("reason"));
        }
    }

    /** An agent asked to do something. {@code cost} is an exact decimal; {@code args} the canonical JSON of the arguments. */
    record IntentSubmitted(String action, String resource, String agent, String justification, String urgency, String cost,
                           String rollbackPlan, String args, String argsDigest, String parentIntentId) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.INTENT_SUBMITTED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("action", action);
            m.put("resource", resource);
            m.put("agent", agent);
            m.put("justification", justification);
            m.put("urgency", urgency);
            m.put("cost", cost);
            m.put("rollback_plan", rollbackPlan);
            m.put("args", args);
            m.put("args_digest", argsDigest);
            m.put("parent_intent_id", parentIntentId);
        }

        static IntentSubmitted read(StoredFields f) {
            return new IntentSubmitted(f.string("action"), f.string("resource"), f.string("agent"), f.string("justification"),
                    f.string("urgency"), f.string("cost"), f.string("rollback_plan"), f.string("args"), f.string("args_digest"),
                    f.string("parent_intent_id"));
        }
    }

    /**
     * What the policy decided. {@code effect} is {@code allow}, {@code approve} or {@code deny}; {@code denyRules} names the
     * rules that denied, and is {@code null} when read from an entry written before the field existed (use {@code rules}).
     * {@code signals} lists the dynamic attributes the policy read for this decision as {@code name=value}
     * ({@code signal.error_rate=0.07}, {@code signal.incident=missing}, {@code agent.denials_in_a_row=3}); null when it read none.
     * {@code windowSpend} is what a granted call adds to the policy's sliding windows, one {@code "AMOUNT DEFINITION"} per
     * window it adds to (e.g. {@code "3 sum(args.instances, 'scale_*', 1h)"}); empty for most decisions, and then not written.
     */
    record Decision(String action, String tier, String effect, List<String> rules, String policyVersion, long requiredApprovals,
                    List<String> requiredRoles, boolean mfa, String reason, List<String> denyRules, List<String> signals,
                    List<String> windowSpend)
            implements AuditPayload {
        public Decision {
            rules = List.copyOf(rules);
            requiredRoles = List.copyOf(requiredRoles);
            denyRules = denyRules == null ? null : List.copyOf(denyRules);
            signals = signals == null || signals.isEmpty() ? null : List.copyOf(signals);
            windowSpend = windowSpend == null ? List.of() : List.copyOf(windowSpend);
        }

        /** A decision that read no signal and adds to no window. */
        public Decision(String action, String tier, String effect, List<String> rules, String policyVersion, long requiredApprovals,
                        List<String> requiredRoles, boolean mfa, String reason, List<String> denyRules) {
            this(action, tier, effect, rules, policyVersion, requiredApprovals, requiredRoles, mfa, reason, denyRules, null, List.of());
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.DECISION;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("action", action);
            writeVerdict(m);
        }

        /** Every field after {@code action}. */
        void writeVerdict(FieldWriter m) {
            m.put("tier", tier);
            m.put("effect", effect);
            m.put("rules", rules);
            m.put("policy_version", policyVersion);
            m.put("required_approvals", requiredApprovals);
            m.put("required_roles", requiredRoles);
            m.put("mfa", mfa);
            m.put("reason", reason);
            if (denyRules != null) m.put("deny_rules", denyRules);
            if (signals != null) m.put("signals", signals);
            if (!windowSpend.isEmpty()) m.put("window_spend", windowSpend);
        }

        /** The rules that denied: {@code denyRules}, or every matched rule in entries that predate it. */
        public List<String> denyingRules() {
            return denyRules != null ? denyRules : rules;
        }

        static Decision read(StoredFields f) {
            return new Decision(f.string("action"), f.string("tier"), f.string("effect"), f.strings("rules"), f.string("policy_version"),
                    f.integer("required_approvals"), f.strings("required_roles"), f.bool("mfa"), f.string("reason"),
                    f.stringsAddedLater("deny_rules"), f.stringsAddedLater("signals"), f.stringsAddedLater("window_spend"));
        }
    }

    /** The intent was handed to an approval backend. */
    record ApprovalRequested(String backend, long requiredApprovals, List<String> requiredRoles, long timeoutMs) implements AuditPayload {
        public ApprovalRequested {
            requiredRoles = List.copyOf(requiredRoles);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.APPROVAL_REQUESTED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("backend", backend);
            m.put("required_approvals", requiredApprovals);
            m.put("required_roles", requiredRoles);
            m.put("timeout_ms", timeoutMs);
        }

        static ApprovalRequested read(StoredFields f) {
            return new ApprovalRequested(f.string("backend"), f.integer("required_approvals"), f.strings("required_roles"),
                    f.integer("timeout_ms"));
        }
    }

    /** An approver's vote; {@code accepted} says whether the engine counted it, {@code rejection} why not. Never the TOTP code. */
    record Vote(String approver, List<String> roles, String verdict, String comment, boolean accepted, String rejection)
            implements AuditPayload {
        public Vote {
            roles = List.copyOf(roles);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.VOTE;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("approver", approver);
            m.put("roles", roles);
            m.put("verdict", verdict);
            m.put("comment", comment);
            m.put("accepted", accepted);
            m.put("rejection", rejection);
        }

        static Vote read(StoredFields f) {
            return new Vote(f.string("approver"), f.strings("roles"), f.string("verdict"), f.string("comment"), f.bool("accepted"),
                    f.string("rejection"));
        }
    }

    /** A warrant was issued; {@code warrant} is the whole signed warrant as JSON. */
    record WarrantIssued(String warrantId, String warrant, List<String> approvedBy, String expiresAt) implements AuditPayload {
        /** The field the JSON Lines export nests as an object. */
        public static final String WARRANT_FIELD = "warrant";

        public WarrantIssued {
            approvedBy = List.copyOf(approvedBy);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.WARRANT_ISSUED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("warrant_id", warrantId);
            m.put(WARRANT_FIELD, warrant);
            m.put("approved_by", approvedBy);
            m.put("expires_at", expiresAt);
        }

        static WarrantIssued read(StoredFields f) {
            return new WarrantIssued(f.string("warrant_id"), f.string(WARRANT_FIELD), f.strings("approved_by"), f.string("expires_at"));
        }
    }

    /** The intent was denied; {@code by} is the rule or approver, {@code stage} where (policy, approval, backend, audit, verification). */
    record IntentDenied(String reason, String by, String stage) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.INTENT_DENIED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("reason", reason);
            m.put("by", by);
            m.put("stage", stage);
        }

        static IntentDenied read(StoredFields f) {
            return new IntentDenied(f.string("reason"), f.string("by"), f.string("stage"));
        }
    }

    /** No decision came in time. */
    record IntentTimedOut(String reason, long waitedMs) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.INTENT_TIMED_OUT;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("reason", reason);
            m.put("waited_ms", waitedMs);
        }

        static IntentTimedOut read(StoredFields f) {
            return new IntentTimedOut(f.string("reason"), f.integer("waited_ms"));
        }
    }

    /** A warrant was checked against the call about to run and used up. */
    record WarrantVerified(String warrantId, String reason) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.WARRANT_VERIFIED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("warrant_id", warrantId);
            m.put("reason", reason);
        }

        static WarrantVerified read(StoredFields f) {
            return new WarrantVerified(f.string("warrant_id"), f.string("reason"));
        }
    }

    /** A warrant was refused at the call. */
    record WarrantRejected(String warrantId, String reason) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.WARRANT_REJECTED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("warrant_id", warrantId);
            m.put("reason", reason);
        }

        static WarrantRejected read(StoredFields f) {
            return new WarrantRejected(f.string("warrant_id"), f.string("reason"));
        }
    }

    /** The governed call began under this warrant. */
    record ExecutionStarted(String warrantId) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.EXECUTION_STARTED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("warrant_id", warrantId);
        }

        static ExecutionStarted read(StoredFields f) {
            return new ExecutionStarted(f.string("warrant_id"));
        }
    }

    /** The call returned: a bounded summary of the result and the SHA-256 of its canonical JSON. */
    record ExecutionCompleted(String resultSummary, String resultSha256, long durationMs) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.EXECUTION_COMPLETED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("result_summary", resultSummary);
            m.put("result_sha256", resultSha256);
            m.put("duration_ms", durationMs);
        }

        static ExecutionCompleted read(StoredFields f) {
            return new ExecutionCompleted(f.string("result_summary"), f.string("result_sha256"), f.integer("duration_ms"));
        }
    }

    /** The call threw; {@code exception} is the class name. */
    record ExecutionFailed(String exception, String message, long durationMs) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.EXECUTION_FAILED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("exception", exception);
            m.put("message", message);
            m.put("duration_ms", durationMs);
        }

        static ExecutionFailed read(StoredFields f) {
            return new ExecutionFailed(f.string("exception"), f.string("message"), f.integer("duration_ms"));
        }
    }

    /**
     * The writer resumed after records torn by a failed write (typically a full disk): how many records
     * and bytes it skipped, and why it stopped. Its intent id is {@link #LOG_INTENT_ID}.
     */
    record LogRecovered(String reason, long damagedRecords, long damagedBytes) implements AuditPayload {
        /** The intent id of entries about the log itself rather than a call. */
        public static final String LOG_INTENT_ID = "audit-log";

        @Override
        public AuditEventType type() {
            return AuditEventType.LOG_RECOVERED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("reason", reason);
            m.put("damaged_records", damagedRecords);
            m.put("damaged_bytes", damagedBytes);
        }

        static LogRecovered read(StoredFields f) {
            return new LogRecovered(f.string("reason"), f.integer("damaged_records"), f.integer("damaged_bytes"));
        }
    }

    /**
     * An attempt on the approval surface that is not a vote: a console sign-in, a chat callback refused before it
     * became a vote. {@code channel} is where it came ({@code console}, {@code slack}, {@code teams}, {@code webhook});
     * {@code subject} who it claimed to be (an approver id or chat user id, never a secret); {@code allowed} whether it
     * was let in; {@code intent} the intent it named, unverified (null when none); {@code detail} why.
     * Its intent id is {@link #ACCESS_INTENT_ID}.
     */
    record Access(String channel, String subject, boolean allowed, String intent, String detail) implements AuditPayload {
        /** The intent id of access entries: they are about the approval surface, not one call. */
        public static final String ACCESS_INTENT_ID = "access";

        @Override
        public AuditEventType type() {
            return AuditEventType.ACCESS;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("channel", channel);
            m.put("subject", subject);
            m.put("allowed", allowed);
            m.put("intent", intent);
            m.put("detail", detail);
        }

        static Access read(StoredFields f) {
            return new Access(f.string("channel"), f.string("subject"), f.bool("allowed"), f.string("intent"), f.string("detail"));
        }
    }

    /**
     * An approver's edit was accepted: {@code requestedArgs} is the canonical JSON of the arguments the agent asked for,
     * {@code approvedArgs} of those now proposed, {@code argsDigest} their digest (what a warrant will bind), {@code tier}
     * and {@code rules} the policy's decision on the edited call, {@code discardedApprovals} the approvals given for the
     * earlier values, which no longer count.
     */
    record ArgumentsEdited(String by, String requestedArgs, String approvedArgs, String argsDigest, String tier, List<String> rules,
                           List<String> discardedApprovals) implements AuditPayload {
        public ArgumentsEdited {
            rules = List.copyOf(rules);
            discardedApprovals = List.copyOf(discardedApprovals);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.ARGUMENTS_EDITED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("by", by);
            m.put("requested_args", requestedArgs);
            m.put("approved_args", approvedArgs);
            m.put("args_digest", argsDigest);
            m.put("tier", tier);
            m.put("rules", rules);
            m.put("discarded_approvals", discardedApprovals);
        }

        static ArgumentsEdited read(StoredFields f) {
            return new ArgumentsEdited(f.string("by"), f.string("requested_args"), f.string("approved_args"), f.string("args_digest"),
                    f.string("tier"), f.strings("rules"), f.strings("discarded_approvals"));
        }
    }

    /** An approver asked the agent a question: the intent ended in the state {@code needs_information}, without running. */
    record InformationRequested(String by, String question) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.INFORMATION_REQUESTED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("by", by);
            m.put("question", question);
        }

        static InformationRequested read(StoredFields f) {
            return new InformationRequested(f.string("by"), f.string("question"));
        }
    }

    /**
     * What the shadow policy would have decided where it differs from the live decision (the DECISION entry of the same
     * intent): its {@code effect}, {@code tier}, matched {@code rules} and {@code policyVersion}; {@code source} is
     * {@code rules} (the live files' shadow rules) or {@code policy} (a separate shadow policy set); {@code error} says
     * why the shadow could not decide (a broken or failing shadow policy; its effect is then {@code deny}), else null.
     */
    record ShadowDecision(String effect, String tier, List<String> rules, String policyVersion, String source, String error)
            implements AuditPayload {
        public ShadowDecision {
            rules = List.copyOf(rules);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.SHADOW_DECISION;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("effect", effect);
            m.put("tier", tier);
            m.put("rules", rules);
            m.put("policy_version", policyVersion);
            m.put("source", source);
            m.put("error", error);
        }

        static ShadowDecision read(StoredFields f) {
            return new ShadowDecision(f.string("effect"), f.string("tier"), f.strings("rules"), f.string("policy_version"),
                    f.string("source"), f.string("error"));
        }
    }

    /**
     * A policy version was put in force while the engine ran: {@code trigger} says who or what asked ({@code file watcher},
     * {@code console: riya}, {@code cli: riya}); {@code previousVersion} and {@code version} are the policy hashes before and
     * after (equal when the files had not changed); {@code source} the policy file or directory. Its intent id is
     * {@link #POLICY_INTENT_ID}.
     */
    record PolicyLoaded(String trigger, String previousVersion, String version, String source, long rules) implements AuditPayload {
        /** The intent id of entries about the policy itself rather than a call. */
        public static final String POLICY_INTENT_ID = "policy";

        @Override
        public AuditEventType type() {
            return AuditEventType.POLICY_LOADED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("trigger", trigger);
            m.put("previous_version", previousVersion);
            m.put("version", version);
            m.put("source", source);
            m.put("rules", rules);
        }

        static PolicyLoaded read(StoredFields f) {
            return new PolicyLoaded(f.string("trigger"), f.string("previous_version"), f.string("version"), f.string("source"),
                    f.integer("rules"));
        }
    }

    /**
     * A policy change was refused: {@code error} is every error, one {@code file:line:col: message} a line; {@code keptVersion}
     * the hash of the policy that keeps deciding. Its intent id is {@link PolicyLoaded#POLICY_INTENT_ID}.
     */
    record PolicyRejected(String trigger, String error, String keptVersion, String source) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.POLICY_REJECTED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("trigger", trigger);
            m.put("error", error);
            m.put("kept_version", keptVersion);
            m.put("source", source);
        }

        static PolicyRejected read(StoredFields f) {
            return new PolicyRejected(f.string("trigger"), f.string("error"), f.string("kept_version"), f.string("source"));
        }
    }

    /**
     * A break-glass grant was opened (intent id: {@code grantId}) by {@code openedBy}, holding {@code roles} (those of the
     * policy's break_glass roles they hold), authenticated by {@code credential} and {@code mfa} ({@code totp}), for the
     * {@code actions} (names or globs), at most {@code uses} calls, until {@code expiresAt}.
     */
    record BreakGlassOpened(String grantId, String openedBy, List<String> roles, String credential, String mfa, String reason,
                            List<String> actions, long uses, String expiresAt, String policyVersion) implements AuditPayload {
        public BreakGlassOpened {
            roles = List.copyOf(roles);
            actions = List.copyOf(actions);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.BREAK_GLASS_OPENED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("grant_id", grantId);
            m.put("opened_by", openedBy);
            m.put("roles", roles);
            m.put("credential", credential);
            m.put("mfa", mfa);
            m.put("reason", reason);
            m.put("actions", actions);
            m.put("uses", uses);
            m.put("expires_at", expiresAt);
            m.put("policy_version", policyVersion);
        }

        static BreakGlassOpened read(StoredFields f) {
            return new BreakGlassOpened(f.string("grant_id"), f.string("opened_by"), f.strings("roles"), f.string("credential"),
                    f.string("mfa"), f.string("reason"), f.strings("actions"), f.integer("uses"), f.string("expires_at"),
                    f.string("policy_version"));
        }
    }

    /**
     * Grant {@code grantId} let this call through: {@code effect} is what the policy decided ({@code approve}: the approvals
     * were skipped; {@code deny}: the denial was overridden), {@code overrode} the rules it decided by ({@code default} when
     * none matched), {@code usesLeft} what the grant has left after this use.
     */
    record BreakGlassUsed(String grantId, String effect, List<String> overrode, long usesLeft) implements AuditPayload {
        public BreakGlassUsed {
            overrode = List.copyOf(overrode);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.BREAK_GLASS_USED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("grant_id", grantId);
            m.put("effect", effect);
            m.put("overrode", overrode);
            m.put("uses_left", usesLeft);
        }

        static BreakGlassUsed read(StoredFields f) {
            return new BreakGlassUsed(f.string("grant_id"), f.string("effect"), f.strings("overrode"), f.integer("uses_left"));
        }
    }

    /**
     * A break-glass grant was reviewed (intent id: {@code grantId}) by {@code reviewer}, another approver than the one who
     * opened it, authenticated by {@code credential}: {@code verdict} is {@code ok} or {@code misuse}. The review ends the grant.
     */
    record BreakGlassReviewed(String grantId, String reviewer, String credential, String verdict, String comment) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.BREAK_GLASS_REVIEWED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("grant_id", grantId);
            m.put("reviewer", reviewer);
            m.put("credential", credential);
            m.put("verdict", verdict);
            m.put("comment", comment);
        }

        static BreakGlassReviewed read(StoredFields f) {
            return new BreakGlassReviewed(f.string("grant_id"), f.string("reviewer"), f.string("credential"), f.string("verdict"),
                    f.string("comment"));
        }
    }

    /**
     * The original call's rollback was triggered: {@code trigger} is {@code failed} or the policy's condition as written;
     * {@code signals} the dynamic values the condition read when it held ({@code name=value}, empty for {@code failed});
     * {@code rollbackAction} the compensating action; {@code rollbackIntentId} the intent the compensating call is submitted as
     * (its parent is this entry's intent), or null when it could not be made; {@code error} why not, null otherwise.
     */
    record RollbackTriggered(String trigger, List<String> signals, String rollbackAction, String rollbackIntentId, String error)
            implements AuditPayload {
        public RollbackTriggered {
            signals = List.copyOf(signals);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.ROLLBACK_TRIGGERED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("trigger", trigger);
            m.put("signals", signals);
            m.put("rollback_action", rollbackAction);
            m.put("rollback_intent_id", rollbackIntentId);
            m.put("error", error);
        }

        static RollbackTriggered read(StoredFields f) {
            return new RollbackTriggered(f.string("trigger"), f.strings("signals"), f.string("rollback_action"), f.string("rollback_intent_id"),
                    f.string("error"));
        }
    }

    /**
     * The checkpoint witness (the fleet service at {@code witness}) refused this log's checkpoint of {@code treeSize} entries
     * with HTTP {@code status}: {@code refusal} is its kind ({@code fork}, {@code rollback}, {@code bad_signature}, ... or
     * {@code http_STATUS}), {@code witnessedSize} the head it holds (-1: none known), {@code reason} its words. Intent id
     * {@link LogRecovered#LOG_INTENT_ID}: an entry about the log itself.
     */
    record WitnessRefused(String witness, long status, String refusal, long treeSize, long witnessedSize, String reason) implements AuditPayload {
        @Override
        public AuditEventType type() {
            return AuditEventType.WITNESS_REFUSED;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("witness", witness);
            m.put("status", status);
            m.put("refusal", refusal);
            m.put("tree_size", treeSize);
            m.put("witnessed_size", witnessedSize);
            m.put("reason", reason);
        }

        static WitnessRefused read(StoredFields f) {
            return new WitnessRefused(f.string("witness"), f.integer("status"), f.string("refusal"), f.integer("tree_size"),
                    f.integer("witnessed_size"), f.string("reason"));
        }
    }

    /**
     * The fleet service answered: {@code requestId} its id for the request, {@code status} {@code pending}, {@code allow},
     * {@code denied} or {@code timed_out}; {@code replica} which replica answered (its name and URL); {@code approvedBy}
     * the approvers it counted; {@code rule} and {@code reason} why it denied (null otherwise).
     */
    record FleetAnswer(String requestId, String status, String replica, List<String> approvedBy, String rule, String reason)
            implements AuditPayload {
        public FleetAnswer {
            approvedBy = List.copyOf(approvedBy);
        }

        @Override
        public AuditEventType type() {
            return AuditEventType.FLEET_ANSWER;
        }

        @Override
        public void writeFields(FieldWriter m) {
            m.put("request_id", requestId);
            m.put("status", status);
            m.put("replica", replica);
            m.put("approved_by", approvedBy);
            m.put("rule", rule);
            m.put("reason", reason);
        }

        static FleetAnswer read(StoredFields f) {
            return new FleetAnswer(f.string("request_id"), f.string("status"), f.string("replica"), f.strings("approved_by"), f.string("rule"),
                    f.string("reason"));
        }
    }
}
