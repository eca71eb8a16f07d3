package dev.magistrate.approval;

public enum Verdict {
    APPROVE, DENY;

    public String wireName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
