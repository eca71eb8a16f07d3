package dev.magistrate.approval;

import dev.magistrate.config.ConfigFileException;

import java.nio.file.Path;

/** A bad approver directory file, located precisely: file, line, column and the field at fault. */
public final class ApproverDirectoryException extends ConfigFileException {

    private static final long serialVersionUID = 1L;

    public ApproverDirectoryException(Path file, int line, int column, String field, String problem) {
        super(file, line, column, field, problem);
    }
}
