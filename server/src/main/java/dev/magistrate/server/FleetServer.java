package dev.magistrate.server;

import dev.magistrate.approval.ApproverDirectory;
import dev.magistrate.console.ConsoleHttpServer;
import dev.magistrate.keys.KeyDirectory;
import dev.magistrate.policy.PolicyCompiler;
import dev.magistrate.policy.PolicyLoader;
import dev.magistrate.policy.PolicySet;

import javax.sql.DataSource;
import java.time.Clock;
import java.util.function.UnaryOperator;

/**
 * One running replica: its database pool (and embedded PostgreSQL, with a data directory), the service, and on one port
 * its intent API (paths under {@code /v1/}) and the fleet console (every other path).
 */
public final class FleetServer implements AutoCloseable {

    private final FleetDatabase database;
    private final FleetService service;
    private final ConsoleHttpServer http;

    private FleetServer(FleetDatabase database, FleetService service, ConsoleHttpServer http) {
        this.database = database;
        this.service = service;
        this.http = http;
    }

    /** Loads the policy, approvers and keys first (each error names its file), then opens the database and listens. */
    static FleetServer start(ServerOptions o) {
        return start(o, UnaryOperator.identity());
    }

    /** As {@link #start(ServerOptions)}, the service seeing the pool through {@code around} (the load test counts round trips so). */
    static FleetServer start(ServerOptions o, UnaryOperator<DataSource> around) {
        PolicySet set = PolicyLoader.load(o.policy());
        var policy = PolicyCompiler.compile(set);
        ApproverDirectory approvers = ApproverDirectory.load(o.approvers());
        var keys = KeyDirectory.openOrCreate(o.keys()).warrantKeys();
        FleetDatabase db = openDatabase(o);
        FleetService service = null;
        try {
            DataSource data = around.apply(db.dataSource());
            service = new FleetService(data, set, policy, approvers, keys, o.replica(), Clock.systemUTC());
            IntentApi api = new IntentApi(service, new CheckpointWitness(data, o.replica()), o.workers());
            FleetConsole console = new FleetConsole(service, data, o.origins());
            ConsoleHttpServer http = new ConsoleHttpServer(o.bind(), o.port(), o.workers(), "magistrate-server",
                    x -> x.path().startsWith("/v1/") ? api.handle(x) : console.handle(x));
            console.listeningOn(http.port());
            return new FleetServer(db, service, http);
        } catch (RuntimeException e) {
            if (service != null) service.close();
            db.close();
            throw e;
        }
    }

    static FleetDatabase openDatabase(ServerOptions o) {
        return o.dataDir() != null ? FleetDatabase.embedded(o.dataDir())
                : FleetDatabase.connect(o.dbUrl(), System.getenv("MAGISTRATE_DB_USER"), System.getenv("MAGISTRATE_DB_PASSWORD"));
    }

    public int port() {
        return http.port();
    }

    public FleetService service() {
        return service;
    }

    FleetDatabase database() {
        return database;
    }

    @Override
    public void close() {
        http.close();
        service.close();
        database.close();
    }
}
