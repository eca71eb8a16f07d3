package dev.magistrate.console.chat;

import dev.magistrate.config.ConfigFileException;

import java.nio.file.Path;

/** A bad chat configuration file, located precisely: file, line, column and the field at fault (like {@code routes[1].tiers}). */
public final class ChatConfigException extends ConfigFileException {

    private static final long serialVersionUID = 1L;

    public ChatConfigException(Path file, int line, int column, String field, String problem) {
        super(file, line, column, field, problem);
    }
}
