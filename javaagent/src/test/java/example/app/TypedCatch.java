package example.app;

import dev.magistrate.annotations.CallDeniedException;

/**
 * Application code that catches the denial by its type, as the README shows. Its own class, so that
 * InterceptionApp never links CallDeniedException unless this case runs.
 */
final class TypedCatch {

    private TypedCatch() {
    }

    static String dropTable(Tools tools) {
        try {
            return "ran " + tools.query("compliance_log", "DROP TABLE compliance_log");
        } catch (CallDeniedException e) {
            boolean same = e.getClass() == CallDeniedException.class;
            String loader = CallDeniedException.class.getClassLoader() == null ? "bootstrap" : String.valueOf(CallDeniedException.class.getClassLoader());
            return "caught " + (same ? "CallDeniedException" : e.getClass().getName()) + " (" + loader + " loader): " + e.getMessage();
        }
    }
}
