package dev.magistrate.server;

import dev.magistrate.cli.MagistrateCli;

/** The command line in a child JVM (its verdicts go to the real standard output, which the test reads). */
final class WitnessCliMain {

    private WitnessCliMain() {
    }

    public static void main(String[] args) {
        System.exit(MagistrateCli.run(args));
    }
}
