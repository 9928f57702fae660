package hive.server;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Handler;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Registers the server's routes with Javalin and keeps the list of them, with what each answers,
 * so that {@code GET /openapi.json} describes exactly the routes that exist.
 */
final class RouteTable {

    /** One route: method, Javalin path ({@code /api/swarms/{id}}), summary, statuses it answers. */
    record Route(String method, String path, String summary, Map<Integer, String> responses) {
    }

    private final RoutesConfig routes;
    private final List<Route> table = new ArrayList<>();

    RouteTable(RoutesConfig routes) {
        this.routes = routes;
    }

    void get(String path, String summary, Handler handler, Object... responses) {
        routes.get(path, handler);
        add("get", path, summary, responses);
    }

    void post(String path, String summary, Handler handler, Object... responses) {
        routes.post(path, handler);
        add("post", path, summary, responses);
    }

    void delete(String path, String summary, Handler handler, Object... responses) {
        routes.delete(path, handler);
        add("delete", path, summary, responses);
    }

    /** Records a route registered elsewhere (Server-Sent Events). */
    void describe(String method, String path, String summary, Object... responses) {
        add(method, path, summary, responses);
    }

    private void add(String method, String path, String summary, Object... responses) {
        Map<Integer, String> answers = new LinkedHashMap<>();
        for (int i = 0; i + 1 < responses.length; i += 2) {
            answers.put((Integer) responses[i], (String) responses[i + 1]);
        }
        table.add(new Route(method, path, summary, answers));
    }

    List<Route> routes() {
        return List.copyOf(table);
    }
}
