package dev.magistrate.server;

import dev.magistrate.server.FleetFixture.Reply;

import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The fleet load test: simulated agents, each enrolled with its own token, submit intents through two replicas of the
 * service on loopback, on one embedded PostgreSQL; a voter thread approves the requests that need a person. Each agent
 * submits a fixed mix, one intent after the other: reads allowed at T0, deploys under a per-agent window, purchases under
 * a fleet-wide budget, and restarts that wait for a vote; an allowed deploy or purchase is then run (its warrant spent with
 * {@code execution: started}, which makes its window amounts final). A 503 (the service's bounded queue is full) or a
 * dropped connection is retried with exponential backoff and jitter, as is a long poll answered at once because every
 * waiting slot was taken. Bounded in count (agents x intents) and in time.
 *
 * <p>Measured: intents per second over the run, submit-to-decision latency (a call that waits for a vote is decided when
 * its agent sees the final state: its long poll looks every 200 ms), and the database round trips per intent, counted by
 * a wrapper around each replica's pool ({@link RoundTripCounter}). Checked: every intent got exactly one final answer,
 * the database holds exactly one request per intent and none pending, no budget was overspent and the fleet's was spent
 * exactly. {@code FleetLoadTest} runs a small version in the build; the full run is {@link #main}:
 * <pre>java -cp server/target/magistrate-server.jar:server/target/test-classes dev.magistrate.server.FleetLoad 1000 10</pre>
 */
final class FleetLoad {

    /** What each agent submits, in a shuffled order: 5 reads, 2 deploys, 2 purchases, 1 restart per 10. */
    enum Kind { READ, DEPLOY, BUY, RESTART }

    private static final Kind[] MIX = {Kind.READ, Kind.READ, Kind.READ, Kind.READ, Kind.READ, Kind.DEPLOY, Kind.DEPLOY, Kind.BUY, Kind.BUY, Kind.RESTART};

    record Settings(int agents, int intentsPerAgent, Duration bound, int workersPerReplica) {
        int intents() {
            return agents * intentsPerAgent;
        }

        long purchases() {
            long n = 0;
            for (int i = 0; i < intentsPerAgent; i++) if (MIX[i % MIX.length] == Kind.BUY) n++;
            return n * agents;
        }

        /** The fleet's purchase budget: half of what the agents will ask for, so the budget runs out mid-run. */
        long purchaseBudget() {
            return Math.max(1, purchases() / 2);
        }
    }

    /** One intent's end as its agent saw it. */
    record Answer(int agent, int index, Kind kind, String requestId, String status, long nanos) {
    }

    record Result(Settings settings, String threads, List<Answer> answers, long wallNanos, Map<String, Long> roundTrips, long retries,
                  Map<String, Long> database) {

        double intentsPerSecond() {
            return answers.size() / (wallNanos / 1e9);
        }

        long percentileMicros(Kind kind, double p) {
            long[] n = answers.stream().filter(a -> kind == null || a.kind == kind).mapToLong(Answer::nanos).sorted().toArray();
            if (n.length == 0) return 0;
            return n[(int) Math.min(n.length - 1, Math.ceil(p * n.length) - 1)] / 1000;
        }

        double roundTripsPerIntent() {
            return RoundTripCounter.total(roundTrips) / (double) answers.size();
        }

        void print(PrintStream out) {
            out.printf("fleet load: %d agents x %d intents = %d intents on %s threads, two replicas (%d HTTP workers each), one embedded PostgreSQL%n",
                    settings.agents, settings.intentsPerAgent, answers.size(), threads, settings.workersPerReplica);
            out.printf("  JDK %s, %d processors; wall %.1f s; %.0f intents/s; %d submits retried after a 503 or a dropped connection%n",
                    Runtime.version(), Runtime.getRuntime().availableProcessors(), wallNanos / 1e9, intentsPerSecond(), retries);
            out.printf("  submit-to-decision latency, ms: %-8s %8s %8s %8s%n", "", "p50", "p99", "count");
            for (Kind k : new Kind[]{null, Kind.READ, Kind.DEPLOY, Kind.BUY, Kind.RESTART}) {
                long count = answers.stream().filter(a -> k == null || a.kind == k).count();
                out.printf("  %-39s %8.1f %8.1f %8d%n", k == null ? "all" : k.name().toLowerCase(java.util.Locale.ROOT)
                        + (k == Kind.RESTART ? " (waits for a vote)" : k == Kind.READ ? " (T0)" : k == Kind.DEPLOY ? " (per-agent window)" : " (fleet window)"),
                        percentileMicros(k, 0.50) / 1000.0, percentileMicros(k, 0.99) / 1000.0, count);
            }
            out.printf("  database round trips: %.2f per intent (%d in all), by statement:%n", roundTripsPerIntent(), RoundTripCounter.total(roundTrips));
            roundTrips.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .forEach(e -> out.printf("    %-44s %8d  %6.2f per intent%n", e.getKey(), e.getValue(), e.getValue() / (double) answers.size()));
            out.println("  database after the run: " + database);
        }
    }

    /** Virtual threads when this JDK has them (21+; the build targets 17, so through reflection), else platform threads. */
    static ThreadFactory agentThreads(StringBuilder which) {
        try {
            Method ofVirtual = Thread.class.getMethod("ofVirtual");
            Object builder = ofVirtual.invoke(null);
            ThreadFactory f = (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
            which.append("virtual");
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            which.append("platform");
            return r -> {
                Thread t = new Thread(r, "fleet-load-agent");
                t.setDaemon(true);
                return t;
            };
        }
    }

    static String policy(Settings s) {
        return """
                # The load test's policy: reads at T0, one deploy per agent an hour, a fleet-wide purchase budget, restarts need a vote.
                default: T1
                policies:
                  - name: "Reads"
                    condition: "action == 'read_metrics'"
                    risk_tier: T0
                  - name: "Deploys"
                    condition: "action == 'deploy'"
                    risk_tier: T0
                  - name: "One deploy an hour"
                    condition: "action == 'deploy' and count('deploy', 1h) >= 1"
                    effect: deny
                    reason: "one deploy per agent an hour"
                  - name: "Purchases"
                    condition: "action == 'buy'"
                    risk_tier: T0
                  - name: "Fleet purchase budget"
                    condition: "action == 'buy' and sum_fleet(cost, 'buy', 1h) + cost > BUDGET"
                    effect: deny
                    reason: "the fleet's hourly purchase budget is spent"
                  - name: "Restarts"
                    condition: "action == 'restart_service'"
                    risk_tier: T1
                    timeout: "10m"
                """.replace("BUDGET", Long.toString(s.purchaseBudget()));
    }

    static Result run(Path dir, Settings s) throws Exception {
        try (FleetFixture fleet = new FleetFixture(dir)) {
            Files.writeString(fleet.policy, policy(s));
            RoundTripCounter counter = new RoundTripCounter();
            List<FleetServer> replicas = List.of(fleet.replica("load-a", s.workersPerReplica, counter::around),
                    fleet.replica("load-b", s.workersPerReplica, counter::around));
            List<String> tokens = new ArrayList<>();
            for (int i = 0; i < s.agents; i++) tokens.add(replicas.get(0).service().enrollAgent("load-agent-" + i));

            long deadline = System.nanoTime() + s.bound.toNanos();
            AtomicLong retries = new AtomicLong();
            ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            BlockingQueue<String> toApprove = new LinkedBlockingQueue<>();
            Thread voter = new Thread(() -> approveAll(fleet, replicas, toApprove, deadline, retries, failures), "fleet-load-voter");
            voter.setDaemon(true);
            voter.start();

            StringBuilder threads = new StringBuilder();
            ThreadFactory factory = agentThreads(threads);
            CountDownLatch done = new CountDownLatch(s.agents);
            Map<String, Long> before = counter.snapshot();
            long start = System.nanoTime();
            for (int i = 0; i < s.agents; i++) {
                int agent = i;
                factory.newThread(() -> {
                    try {
                        runAgent(fleet, replicas.get(agent % 2), tokens.get(agent), agent, s, deadline, toApprove, answers, retries);
                    } catch (Throwable t) {
                        failures.add(t);
                    } finally {
                        done.countDown();
                    }
                }).start();
            }
            boolean finished = done.await(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            long wall = System.nanoTime() - start;
            voter.interrupt();
            Map<String, Long> after = counter.snapshot();
            if (!failures.isEmpty()) {
                IllegalStateException e = new IllegalStateException(failures.size() + " agents failed; the first: " + failures.peek());
                failures.forEach(e::addSuppressed);
                throw e;
            }
            if (!finished) throw new IllegalStateException("the load did not finish within its bound of " + s.bound + " (" + answers.size() + " of "
                    + s.intents() + " intents answered)");
            Map<String, Long> trips = new LinkedHashMap<>();
            after.forEach((k, v) -> {
                long d = v - before.getOrDefault(k, 0L);
                if (d > 0) trips.put(k, d);
            });
            Map<String, Long> database = new LinkedHashMap<>();
            database.put("requests", fleet.count("SELECT count(*) FROM requests"));
            database.put("distinct_intents", fleet.count("SELECT count(DISTINCT justification) FROM requests"));
            database.put("pending", fleet.count("SELECT count(*) FROM requests WHERE state = 'pending'"));
            database.put("purchases_allowed", fleet.count("SELECT count(*) FROM requests WHERE action = 'buy' AND state = 'approved'"));
            database.put("purchase_budget", s.purchaseBudget());
            database.put("most_deploys_allowed_to_one_agent", fleet.count("SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM requests"
                    + " WHERE action = 'deploy' AND state = 'approved' GROUP BY agent_id) d"));
            database.put("restarts_approved", fleet.count("SELECT count(*) FROM requests WHERE action = 'restart_service' AND state = 'approved'"));
            return new Result(s, threads.toString(), List.copyOf(answers), wall, trips, retries.get(), database);
        }
    }

    private static void runAgent(FleetFixture fleet, FleetServer replica, String token, int agent, Settings s, long deadline,
                                 BlockingQueue<String> toApprove, ConcurrentLinkedQueue<Answer> answers, AtomicLong retries) {
        List<Kind> plan = new ArrayList<>();
        for (int i = 0; i < s.intentsPerAgent; i++) plan.add(MIX[i % MIX.length]);
        Collections.shuffle(plan, new Random(agent));
        for (int i = 0; i < plan.size(); i++) {
            Kind kind = plan.get(i);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("action", switch (kind) {
                case READ -> "read_metrics";
                case DEPLOY -> "deploy";
                case BUY -> "buy";
                case RESTART -> "restart_service";
            });
            body.put("args", Map.of("service", "svc-" + (agent % 17)));
            body.put("justification", "load " + agent + "#" + i); // one per intent: the database check counts them
            if (kind == Kind.BUY) body.put("cost", 1);
            long t0 = System.nanoTime();
            Reply r = retrying(() -> fleet.post(replica, "/v1/intents", token, body), deadline, retries);
            String id = r.text("request_id");
            String status = r.text("status");
            if (status.equals("pending")) {
                toApprove.add(id);
                long backoff = IntentApi.POLL_MILLIS;
                while (status.equals("pending")) {
                    long asked = System.nanoTime();
                    r = retrying(() -> fleet.get(replica, "/v1/intents/" + id + "?wait=30", token), deadline, retries);
                    status = r.text("status");
                    // Answered at once while still pending: every long-poll slot was taken; ask again later, backing off.
                    if (status.equals("pending") && System.nanoTime() - asked < POLL_NANOS) {
                        pause(backoff + ThreadLocalRandom.current().nextLong(backoff));
                        backoff = Math.min(backoff * 2, 3_200);
                    }
                }
            }
            long decided = System.nanoTime() - t0;
            if (status.equals("allow") && (kind == Kind.DEPLOY || kind == Kind.BUY)) {
                // The call runs: its warrant is spent, which makes what it took from the windows final (counted are calls that run).
                Map<String, Object> started = Map.of("warrant", r.text("warrant"), "outcome", "started");
                Reply e = retrying(() -> fleet.post(replica, "/v1/intents/" + id + "/execution", token, started), deadline, retries);
                if (!"consumed".equals(e.text("status"))) throw new IllegalStateException("execution of " + id + ": " + e.body());
            }
            answers.add(new Answer(agent, i, kind, id, status, decided));
        }
    }

    private static void approveAll(FleetFixture fleet, List<FleetServer> replicas, BlockingQueue<String> toApprove, long deadline,
                                   AtomicLong retries, ConcurrentLinkedQueue<Throwable> failures) {
        int n = 0;
        try {
            while (true) {
                String id = toApprove.take();
                FleetServer on = replicas.get(n++ % 2);
                Reply v = retrying(() -> fleet.vote(on, id, "alice", "approve"), deadline, retries);
                if (!v.body().path("accepted").asBoolean(false)) failures.add(new AssertionError("vote on " + id + " not accepted: " + v.body()));
            }
        } catch (InterruptedException e) {
            // the run is over
        } catch (RuntimeException e) {
            failures.add(e);
        }
    }

    private static final long POLL_NANOS = IntentApi.POLL_MILLIS * 1_000_000;

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /**
     * Sends until the service answers other than 503 (its bounded queue is full) and the connection held, backing off
     * exponentially with jitter; 200 or it fails.
     */
    private static Reply retrying(java.util.function.Supplier<Reply> call, long deadline, AtomicLong retries) {
        long backoff = 20;
        for (int attempt = 1; ; attempt++) {
            RuntimeException error = null;
            try {
                Reply r = call.get();
                if (r.status() == 200) return r;
                if (r.status() != 503) throw new IllegalStateException("HTTP " + r.status() + ": " + r.body());
            } catch (java.io.UncheckedIOException e) {
                error = e;
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException("out of time after " + attempt + " attempts", error);
            retries.incrementAndGet();
            pause(backoff + ThreadLocalRandom.current().nextLong(backoff));
            backoff = Math.min(backoff * 2, 2_000);
        }
    }

    /** {@code FleetLoad [agents [intents-per-agent [bound-seconds [workers-per-replica]]]]}, defaults 1000 10 600 32. */
    public static void main(String[] args) throws Exception {
        int agents = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int each = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 600;
        int workers = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        Path dir = Files.createTempDirectory("fleet-load");
        Result r = run(dir, new Settings(agents, each, Duration.ofSeconds(seconds), workers));
        r.print(System.out);
        List<String> wrong = check(r);
        System.out.println(wrong.isEmpty() ? "  checks: every intent got exactly one final answer; no budget overspent" : "  CHECKS FAILED: " + wrong);
        System.exit(wrong.isEmpty() ? 0 : 1);
    }

    /** What is wrong with a run's answers and database, or nothing. Correctness only, never timing. */
    static List<String> check(Result r) {
        List<String> wrong = new ArrayList<>();
        Settings s = r.settings;
        Map<String, Integer> perIntent = new LinkedHashMap<>();
        for (Answer a : r.answers) perIntent.merge(a.agent + "#" + a.index, 1, Integer::sum);
        if (perIntent.size() != s.intents()) wrong.add(perIntent.size() + " intents answered, not " + s.intents());
        perIntent.forEach((k, n) -> {
            if (n != 1) wrong.add("intent " + k + " answered " + n + " times");
        });
        Map<Kind, long[]> allowed = new EnumMap<>(Kind.class);
        for (Answer a : r.answers) {
            if (!a.status.equals("allow") && !a.status.equals("denied")) wrong.add("intent " + a.agent + "#" + a.index + " ended " + a.status);
            allowed.computeIfAbsent(a.kind, k -> new long[1])[0] += a.status.equals("allow") ? 1 : 0;
        }
        Map<String, Long> db = r.database;
        if (db.get("requests") != s.intents()) wrong.add("the database holds " + db.get("requests") + " requests for " + s.intents() + " intents");
        if (db.get("distinct_intents") != s.intents()) wrong.add("the database holds " + db.get("distinct_intents") + " distinct intents");
        if (db.get("pending") != 0) wrong.add(db.get("pending") + " requests still pending");
        long budget = Math.min(s.purchases(), s.purchaseBudget());
        if (db.get("purchases_allowed") > s.purchaseBudget()) wrong.add("the fleet's purchase budget overspent: " + db.get("purchases_allowed"));
        if (db.get("purchases_allowed") != budget) wrong.add(db.get("purchases_allowed") + " purchases allowed, not the budget of " + budget);
        if (allowed.getOrDefault(Kind.BUY, new long[1])[0] != db.get("purchases_allowed")) wrong.add("agents saw " + allowed.get(Kind.BUY)[0] + " purchases allowed");
        if (db.get("most_deploys_allowed_to_one_agent") > 1) wrong.add("an agent's deploy window overspent: " + db.get("most_deploys_allowed_to_one_agent"));
        long deployers = r.answers.stream().filter(a -> a.kind == Kind.DEPLOY).map(Answer::agent).distinct().count();
        if (allowed.getOrDefault(Kind.DEPLOY, new long[1])[0] != deployers) wrong.add(allowed.get(Kind.DEPLOY)[0] + " deploys allowed to " + deployers + " agents");
        long restarts = r.answers.stream().filter(a -> a.kind == Kind.RESTART).count();
        if (db.get("restarts_approved") != restarts || allowed.getOrDefault(Kind.RESTART, new long[1])[0] != restarts) {
            wrong.add(db.get("restarts_approved") + " of " + restarts + " restarts approved");
        }
        return wrong;
    }

    private FleetLoad() {
    }
}
