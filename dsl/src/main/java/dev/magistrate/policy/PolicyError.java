package dev.magistrate.policy;

/** One mistake in a policy file, with where it is and the line it is on. */
public record PolicyError(SourceLocation location, String message, String sourceLine) {

    /** {@code file:line:col: message}, then the offending line and a caret under the column. */
    public String format() {
        StringBuilder sb = new StringBuilder(location.toString()).append(": ").append(message);
        if (sourceLine != null) {
            sb.append('\n').append("    ").append(sourceLine).append('\n').append("    ");
            for (int i = 0; i < location.column() - 1 && i < sourceLine.length(); i++) {
                sb.append(sourceLine.charAt(i) == '\t' ? '\t' : ' ');
            }
            sb.append('^');
        }
        return sb.toString();
    }
}
