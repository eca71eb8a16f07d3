package dev.magistrate.samples.ops;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An in-process stand-in for a cloud account: services, instances, a database, orders, and a running bill. */
final class SimulatedCloud {

    /** What one instance costs per hour, and how long "overnight" is until someone looks. */
    static final double PRICE_PER_INSTANCE_HOUR = 24.74;
    static final int NIGHT_HOURS = 10;

    private final Map<String, Integer> instances = new LinkedHashMap<>();
    private final Set<String> drStandbys = new LinkedHashSet<>(List.of("i-dr-eu-1", "i-dr-eu-2"));
    private final Set<String> tables = new LinkedHashSet<>(List.of("orders", "customers", "compliance_audit_2026"));
    private final List<String> emailsSent = new ArrayList<>();
    private double refunded;
    private double committedOvernight;

    SimulatedCloud() {
        instances.put("web", 10);
        instances.put("api", 6);
    }

    /** The extra cost of running {@code to} instances instead of {@code from} overnight. */
    static double overnightCost(int from, int to) {
        return Math.round(Math.max(0, to - from) * PRICE_PER_INSTANCE_HOUR * NIGHT_HOURS * 100) / 100.0;
    }

    synchronized int instances(String service) {
        return instances.getOrDefault(service, 0);
    }

    synchronized void scale(String service, int to) {
        int from = instances(service);
        committedOvernight += overnightCost(from, to);
        instances.put(service, to);
    }

    synchronized boolean isDrStandby(String instance) {
        return drStandbys.contains(instance);
    }

    synchronized int drStandbysLeft() {
        return drStandbys.size();
    }

    synchronized void terminate(List<String> ids) {
        drStandbys.removeAll(ids);
    }

    synchronized void dropTable(String table) {
        tables.remove(table);
    }

    synchronized Set<String> tables() {
        return Set.copyOf(tables);
    }

    synchronized void refund(double amount) {
        refunded += amount;
    }

    synchronized void email(String segment) {
        emailsSent.add(segment);
    }

    synchronized double committedOvernight() {
        return committedOvernight;
    }

    synchronized double refunded() {
        return refunded;
    }

    synchronized Map<String, Integer> fleet() {
        return Map.copyOf(instances);
    }
}
