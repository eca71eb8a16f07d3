package example.app;

import dev.magistrate.annotations.GovernedAction;

/** Scale-ups that spend an hourly budget: each argument is one call's instance count; {@code hang} waits to be killed. */
public class BudgetApp {

    public static class Scaler {
        @GovernedAction("scale_service")
        public String scale(String service, int instances) {
            return service + " scaled up by " + instances;
        }
    }

    public static void main(String[] args) throws Exception {
        Scaler scaler = new Scaler();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("hang")) {
                System.out.println("HANGING");
                System.out.flush();
                Thread.sleep(Long.MAX_VALUE);
            }
            int instances = Integer.parseInt(args[i]);
            InterceptionApp.run("scale-" + i, () -> scaler.scale("web", instances));
        }
    }
}
