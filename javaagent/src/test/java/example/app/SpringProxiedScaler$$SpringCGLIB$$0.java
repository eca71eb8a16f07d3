package example.app;

/** What Spring's CGLIB proxy of a tool bean looks like to the agent: a generated subclass that delegates to the bean's method. */
public class SpringProxiedScaler$$SpringCGLIB$$0 extends Tools.CloudScaler {

    private final Tools.CloudScaler target = new Tools.CloudScaler();

    @Override
    public String scale(String arg0, int arg1) {
        return target.scale(arg0, arg1);
    }
}
