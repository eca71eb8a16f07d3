package example.app;

/**
 * Governed by a configured CLASS#METHOD pattern alone: no annotation, and its only supertypes are the JDK's (which hand
 * no governing annotation down).
 */
public class PatternOnlyTools implements Runnable {

    public static final long BIG = 1L << 40; // two-slot constants before the class's supertypes in the class file
    public static final double RATIO = 0.25;

    public String deleteAll(String what) {
        return "deleted all " + what;
    }

    @Override
    public void run() {
        deleteAll("everything");
    }
}
