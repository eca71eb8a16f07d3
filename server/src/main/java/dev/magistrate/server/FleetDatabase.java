package dev.magistrate.server;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The service's PostgreSQL: a database given by JDBC URL, or a real PostgreSQL embedded in a data directory (its
 * binaries come from Maven Central with the jar) that keeps its data across restarts. Either way the schema is brought
 * up to date by Flyway ({@code db/migration}) before anything else touches it, and connections come from a pool.
 */
public final class FleetDatabase implements AutoCloseable {

    /** Connections per replica: each API call holds one for one short transaction; long polls do not hold one while waiting. */
    static final int POOL_SIZE = 8;

    private final EmbeddedPostgres embedded;
    private final HikariDataSource pool;

    private FleetDatabase(EmbeddedPostgres embedded, HikariDataSource pool) {
        this.embedded = embedded;
        this.pool = pool;
    }

    /** A database at this JDBC URL; user and password may be in the URL, or null here. */
    public static FleetDatabase connect(String jdbcUrl, String user, String password) {
        if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("--db: must be a jdbc:postgresql:// URL, got " + (jdbcUrl == null ? "nothing" : "'" + jdbcUrl + "'"));
        }
        return new FleetDatabase(null, migrated(pool(jdbcUrl, user, password)));
    }

    /** Starts (or restarts) an embedded PostgreSQL whose data lives in {@code dataDir}. */
    public static FleetDatabase embedded(Path dataDir) {
        EmbeddedPostgres pg;
        try {
            Files.createDirectories(dataDir);
            pg = EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir.resolve("postgres"))
                    .setCleanDataDirectory(false) // the data outlives the process: a restart finds every request
                    .setRegisterShutdownHook(true)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("--data-dir " + dataDir + ": the embedded PostgreSQL did not start: " + e.getMessage(), e);
        }
        try {
            return new FleetDatabase(pg, migrated(pool(pg.getJdbcUrl("postgres", "postgres"), null, null)));
        } catch (RuntimeException e) {
            closeQuietly(pg);
            throw e;
        }
    }

    private static HikariDataSource pool(String url, String user, String password) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        if (user != null) c.setUsername(user);
        if (password != null) c.setPassword(password);
        c.setMaximumPoolSize(POOL_SIZE);
        c.setPoolName("magistrate-server");
        c.setConnectionTimeout(10_000);
        c.setAutoCommit(true);
        c.setTransactionIsolation("TRANSACTION_READ_COMMITTED");
        return new HikariDataSource(c);
    }

    private static HikariDataSource migrated(HikariDataSource ds) {
        try {
            Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
            return ds;
        } catch (RuntimeException e) {
            ds.close();
            throw new IllegalStateException("the fleet database schema could not be migrated: " + e.getMessage(), e);
        }
    }

    public DataSource dataSource() {
        return pool;
    }

    @Override
    public void close() {
        pool.close();
        if (embedded != null) closeQuietly(embedded);
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException ignored) {
            // stopping anyway
        }
    }
}
