package hive.cli.run;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Handlers for SIGINT and SIGTERM, for a command that must tell a first Ctrl-C from a second.
 * A shutdown hook cannot: the JVM runs hooks once and ignores the signals that follow. This uses
 * the JDK's {@code sun.misc.Signal} (module {@code jdk.unsupported}, exported and kept for this
 * purpose), through reflection so the build needs no internal API.
 */
public final class Signals {

    private static final Logger log = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    /**
     * Runs {@code handler} on a thread of its own each time signal {@code name} ({@code "INT"},
     * {@code "TERM"}) arrives, instead of the JVM's default (exiting). False when this JVM does not
     * allow it (the signal is ignored or reserved); the default then stays.
     */
    public static boolean handle(String name, Runnable handler) {
        try {
            Class<?> signalType = Class.forName("sun.misc.Signal");
            Class<?> handlerType = Class.forName("sun.misc.SignalHandler");
            Object signal = signalType.getConstructor(String.class).newInstance(name);
            InvocationHandler call = (proxy, method, args) -> switch (method.getName()) {
                case "handle" -> {
                    Thread.ofPlatform().name("signal " + name).start(handler);
                    yield null;
                }
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                case "toString" -> "hive handler of SIG" + name;
                default -> throw new UnsupportedOperationException(method.getName());
            };
            Object proxy = Proxy.newProxyInstance(Signals.class.getClassLoader(), new Class<?>[] {handlerType}, call);
            signalType.getMethod("handle", signalType, handlerType).invoke(null, signal, proxy);
            return true;
        } catch (ReflectiveOperationException | IllegalArgumentException | LinkageError e) {
            log.debug("cannot handle SIG{}: {}", name, e.toString());
            return false;
        }
    }
}
