package dev.magistrate.console.chat;

import java.nio.file.Path;

/** A bad chat configuration file, located precisely: file, line, column and the field at fault. */
public final class ChatConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final int line;
    private final int column;
    private final String field;

    public ChatConfigException(Path file, int line, int column, String field, String problem) {
        super(file + ":" + line + ":" + column + ": " + (field != null ? field + ": " : "") + problem);
        this.file = file;
        this.line = line;
        this.column = column;
        this.field = field;
    }

    public Path file() { return file; }

    public int line() { return line; }

    public int column() { return column; }

    /** The path of the field at fault, like {@code routes[1].tiers}, or {@code null}. */
    public String field() { return field; }
}
