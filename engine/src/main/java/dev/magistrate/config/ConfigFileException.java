package dev.magistrate.config;

import java.nio.file.Path;

/**
 * A configuration file that cannot be used, located precisely: file, line, column and the field at fault, in the
 * message as {@code file:line:col: field: problem}. Each kind of file has its own subclass, so callers can tell them apart.
 */
public abstract class ConfigFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;
    private final int column;
    private final String field;

    protected ConfigFileException(Path file, int line, int column, String field, String problem) {
        super(file + ":" + line + ":" + column + ": " + (field != null ? field + ": " : "") + problem);
        this.file = file;
        this.line = line;
        this.column = column;
        this.field = field;
    }

    public Path file() { return file; }

    public int line() { return line; }

    public int column() { return column; }

    /** The path of the field at fault, like {@code approvers[2].roles}, or {@code null}. */
    public String field() { return field; }
}
