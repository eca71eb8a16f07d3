package dev.magistrate.benchmarks;

/**
 * The trivial application {@link StartupCheck} starts: a main that returns, or ({@code governed})
 * makes one {@code @GovernedAction} call first, so that the first call's wait for the engine is counted.
 */
public final class StartupApp {

    private StartupApp() {
    }

    public static void main(String[] args) {
        if (args.length > 0 && args[0].equals("governed")) {
            long r = new GovernedTool().scaleGoverned("svc", 1);
            if (r != 3 * 31 + 1) throw new AssertionError("the governed call returned " + r);
        }
    }
}
