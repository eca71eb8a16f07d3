package example.app;

import dev.magistrate.annotations.GovernedAction;

/** Action names that look like "scale_service". A class of their own: the agent warns about them when it loads. */
public class LookalikeTools {

    /** "\u0455cale_service" with a Cyrillic s (U+0455): it must not pass for a name no rule mentions. */
    @GovernedAction("\u0455cale_service")
    public String lookalikeScale(String service, int instances) {
        return service + " scaled to " + instances;
    }

    /** Fullwidth letters: NFKC makes this "scale_service", and the rules for it apply. */
    @GovernedAction("\uff53\uff43\uff41\uff4c\uff45_service")
    public String fullwidthScale(String service, int instances) {
        return service + " scaled to " + instances;
    }
}
