package dev.magistrate.audit;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/** Keeps audit events in memory, in append order: for tests and for the plain API without a durable log. Thread-safe. */
public final class InMemoryAuditSink implements AuditSink {

    private final ReentrantLock lock = new ReentrantLock();
    private final List<AuditEvent> events = new ArrayList<>();

    @Override
    public long append(AuditEvent event) {
        lock.lock();
        try {
            events.add(event);
            return events.size() - 1L;
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of every event so far. */
    public List<AuditEvent> events() {
        lock.lock();
        try {
            return List.copyOf(events);
        } finally {
            lock.unlock();
        }
    }

    /** The events of one intent, in order. */
    public List<AuditEvent> events(String intentId) {
        return events().stream().filter(e -> e.intentId().equals(intentId)).toList();
    }

    /** The types of one intent's events, in order: handy for asserting a flow. */
    public List<AuditEventType> types(String intentId) {
        return events(intentId).stream().map(AuditEvent::type).toList();
    }

    public int size() {
        lock.lock();
        try {
            return events.size();
        } finally {
            lock.unlock();
        }
    }
}
