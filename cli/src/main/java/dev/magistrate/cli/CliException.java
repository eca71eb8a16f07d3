package dev.magistrate.cli;

/** Ends a command with a message on standard error and an exit status (usually 2: input that cannot be used). */
final class CliException extends RuntimeException {

    final int exitCode;

    CliException(String message) {
        this(MagistrateCli.USAGE, message);
    }

    CliException(int exitCode, String message) {
        super(message, null, false, false);
        this.exitCode = exitCode;
    }
}
