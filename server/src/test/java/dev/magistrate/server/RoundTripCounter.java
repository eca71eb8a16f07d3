package dev.magistrate.server;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the service's database round trips, measured where they happen: a wrapper around the pool that counts each
 * statement executed (a JDBC batch is one round trip: the driver sends it in one go), each commit and each rollback, by
 * what was sent. Getting a connection from the pool and setting auto-commit are not round trips (the driver sends BEGIN
 * with the first statement) and are not counted.
 */
final class RoundTripCounter {

    private final Map<String, LongAdder> bySql = new ConcurrentHashMap<>();

    DataSource around(DataSource pool) {
        return (DataSource) Proxy.newProxyInstance(RoundTripCounter.class.getClassLoader(), new Class<?>[]{DataSource.class}, (p, m, args) -> {
            Object r = invoke(pool, m, args);
            return m.getName().equals("getConnection") ? connection((Connection) r) : r;
        });
    }

    private Connection connection(Connection c) {
        return (Connection) Proxy.newProxyInstance(RoundTripCounter.class.getClassLoader(), new Class<?>[]{Connection.class}, (p, m, args) -> {
            switch (m.getName()) {
                case "commit" -> count("COMMIT");
                case "rollback" -> count("ROLLBACK");
                default -> {
                }
            }
            Object r = invoke(c, m, args);
            if (m.getName().equals("prepareStatement")) return statement((PreparedStatement) r, (String) args[0]);
            return r;
        });
    }

    private PreparedStatement statement(PreparedStatement ps, String sql) {
        InvocationHandler h = (p, m, args) -> {
            if (m.getName().startsWith("execute") && (args == null || args.length == 0)) count(sql);
            return invoke(ps, m, args);
        };
        return (PreparedStatement) Proxy.newProxyInstance(RoundTripCounter.class.getClassLoader(), new Class<?>[]{PreparedStatement.class}, h);
    }

    private void count(String what) {
        bySql.computeIfAbsent(what, k -> new LongAdder()).increment();
    }

    private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** Round trips so far, by the statement's first words (its kind and table). */
    Map<String, Long> snapshot() {
        Map<String, Long> out = new TreeMap<>();
        bySql.forEach((sql, n) -> out.merge(label(sql), n.sum(), Long::sum));
        return out;
    }

    static long total(Map<String, Long> counts) {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /** "INSERT INTO requests", "SELECT ... FROM agents", "UPDATE window_counters", "COMMIT". */
    static String label(String sql) {
        String s = sql.strip().replaceAll("\\s+", " ");
        String[] w = s.split(" ");
        if (w[0].equalsIgnoreCase("SELECT") || w[0].equalsIgnoreCase("WITH")) {
            int from = s.toUpperCase(java.util.Locale.ROOT).indexOf(" FROM ");
            return from < 0 ? "SELECT" : "SELECT ... FROM " + s.substring(from + 6).split(" ")[0];
        }
        if (w[0].equalsIgnoreCase("INSERT") || w[0].equalsIgnoreCase("DELETE")) return w[0] + " " + w[1] + " " + w[2];
        if (w[0].equalsIgnoreCase("UPDATE")) return "UPDATE " + w[1] + (s.contains("state = 'timed_out'") ? " (time out)" : "");
        return w[0];
    }
}
