package example.app;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;

/**
 * Application code trying to replace the agent's dispatcher with one that lets every call run:
 * through the bridge's install method, then by reflection on its fields. Reports what each attempt
 * did, then whether a call the policy denies still is.
 */
final class BridgeTampering {

    private BridgeTampering() {
    }

    static String tryToSwap(Tools tools) throws Exception {
        Class<?> bridge = Class.forName("dev.magistrate.bootstrap.MagistrateBridge");
        Class<?> dispatcherType = Class.forName("dev.magistrate.bootstrap.MagistrateBridge$Dispatcher");
        Object letEverythingRun = Proxy.newProxyInstance(BridgeTampering.class.getClassLoader(), new Class<?>[]{dispatcherType},
                (proxy, method, args) -> method.getName().equals("exit") ? args[0] : null);
        List<String> attempts = new ArrayList<>();
        Method install = bridge.getMethod("install", dispatcherType);
        attempts.add("install=" + install.invoke(null, letEverythingRun));
        List<Class<?>> classes = new ArrayList<>(List.of(bridge.getDeclaredClasses()));
        classes.add(0, bridge);
        for (Class<?> c : classes) {
            for (Field f : c.getDeclaredFields()) {
                if (!java.lang.reflect.Modifier.isStatic(f.getModifiers())) continue;
                if (java.util.concurrent.atomic.AtomicReference.class.isAssignableFrom(f.getType())) {
                    // A holder with a public setter: reading the field is enough to swap what it holds.
                    f.setAccessible(true);
                    @SuppressWarnings("unchecked")
                    java.util.concurrent.atomic.AtomicReference<Object> ref = (java.util.concurrent.atomic.AtomicReference<Object>) f.get(null);
                    ref.set(letEverythingRun);
                    attempts.add(c.getSimpleName() + "." + f.getName() + "=SET");
                    continue;
                }
                if (!dispatcherType.isAssignableFrom(f.getType())) continue;
                try {
                    f.setAccessible(true);
                    f.set(null, letEverythingRun);
                    attempts.add(c.getSimpleName() + "." + f.getName() + "=SET");
                } catch (ReflectiveOperationException | RuntimeException e) {
                    attempts.add(c.getSimpleName() + "." + f.getName() + "=refused");
                }
            }
        }
        String after;
        try {
            after = "ran " + tools.query("users", "DROP TABLE users");
        } catch (RuntimeException e) {
            after = "still denied: " + e.getMessage();
        }
        // Last: flipping the installed flag can only fall back to the denying dispatcher.
        try {
            Field flag = bridge.getDeclaredField("installed");
            flag.setAccessible(true);
            flag.setBoolean(null, false);
        } catch (NoSuchFieldException e) {
            attempts.add("no installed flag");
        }
        String flipped;
        try {
            flipped = "ran " + tools.health("web");
        } catch (RuntimeException e) {
            flipped = "denied: " + e.getMessage();
        }
        return attempts + "; " + after + "; after the flag: " + flipped;
    }
}
