package example.app;

/** Framework-annotated and pattern-matched tools: no Magistrate annotation anywhere. */
public class FrameworkTools {

    @Tool(name = "lookup_weather", value = "Looks up the weather")
    public String weather(String city) {
        return "sunny in " + city;
    }

    @Tool("Terminates instances")
    public String terminate(String instance) {
        return "terminated " + instance;
    }

    public String deleteBucket(String bucket) {
        return "deleted " + bucket;
    }

    public String listBuckets() {
        return "a,b";
    }
}
