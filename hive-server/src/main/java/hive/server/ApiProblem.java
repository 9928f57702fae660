package hive.server;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answered as {@code application/problem+json} (RFC 9457, API.md "Conventions"):
 * {@code type}, {@code title}, {@code status}, {@code detail}, and the extra fields a route adds
 * ({@code field} for a bad request field, {@code errors} and {@code cycle} for a rejected plan,
 * {@code reason}, {@code conflicts}, {@code deadlock}...). Thrown by routes; the server writes it.
 */
public final class ApiProblem extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Where problem types are documented; each type is this plus a slug. */
    public static final String TYPE_BASE = "https://hivemind.dev/problems/";

    private final int status;
    private final String slug;
    private final String title;
    private final transient Map<String, Object> extra = new LinkedHashMap<>();

    public ApiProblem(int status, String slug, String title, String detail) {
        super(detail);
        this.status = status;
        this.slug = slug;
        this.title = title;
    }

    public static ApiProblem badRequest(String detail) {
        return new ApiProblem(400, "invalid-request", "Invalid request", detail);
    }

    /** A bad field of the request: the detail names it, and so does {@code field}. */
    public static ApiProblem badField(String field, String detail) {
        return badRequest(detail).with("field", field);
    }

    public static ApiProblem notFound(String detail) {
        return new ApiProblem(404, "not-found", "Not found", detail);
    }

    public static ApiProblem conflict(String detail) {
        return new ApiProblem(409, "conflict", "Conflict", detail);
    }

    public static ApiProblem forbidden(String detail) {
        return new ApiProblem(403, "forbidden", "Forbidden", detail);
    }

    public static ApiProblem unauthorized(String detail) {
        return new ApiProblem(401, "unauthorized", "Unauthorized", detail);
    }

    public static ApiProblem unavailable(String detail) {
        return new ApiProblem(503, "unavailable", "Service unavailable", detail);
    }

    /** Adds a field to the problem document; returns this. */
    public ApiProblem with(String name, Object value) {
        extra.put(name, value);
        return this;
    }

    public int status() {
        return status;
    }

    /** The problem document, fields in the order of RFC 9457 and then the extra ones. */
    public Map<String, Object> document() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("type", TYPE_BASE + slug);
        doc.put("title", title);
        doc.put("status", status);
        doc.put("detail", getMessage());
        doc.putAll(extra);
        return doc;
    }
}
