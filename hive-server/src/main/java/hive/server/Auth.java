package hive.server;

import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Bearer tokens (API.md "Conventions"). With auth off (no admin token; loopback only) every
 * request acts as admin. With auth on, every request needs {@code Authorization: Bearer <token>}:
 * the admin token may do everything; an agent's token, returned when it registers, may act only
 * as that agent. An agent token is {@code hat_<agent id, base64url>.<HMAC-SHA256 of it under the
 * admin token>}: it needs no storage and stays valid across restarts for as long as the admin
 * token does. Thread-safe.
 */
final class Auth {

    /** Who a request acts as: the admin ({@code agentId} null) or one agent. */
    record Caller(String agentId) {
        static final Caller ADMIN = new Caller(null);

        boolean isAdmin() {
            return agentId == null;
        }
    }

    private static final String ATTRIBUTE = "hive.caller";
    private static final String HMAC = "HmacSHA256";
    private static final String AGENT_PREFIX = "hat_";

    private final String adminToken;
    private final byte[] secret;

    Auth(String adminToken) {
        this.adminToken = adminToken;
        if (adminToken != null) {
            this.secret = adminToken.getBytes(StandardCharsets.UTF_8);
        } else {
            // Tokens are handed out but not checked with auth off; a random secret keeps them unguessable.
            this.secret = new byte[32];
            new SecureRandom().nextBytes(secret);
        }
    }

    boolean on() {
        return adminToken != null;
    }

    /** The token an agent acts with. */
    String agentToken(String agentId) {
        Base64.Encoder base64 = Base64.getUrlEncoder().withoutPadding();
        return AGENT_PREFIX + base64.encodeToString(agentId.getBytes(StandardCharsets.UTF_8)) + "."
                + base64.encodeToString(mac(agentId));
    }

    private byte[] mac(String agentId) {
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(secret, HMAC));
            return mac.doFinal(("agent:" + agentId).getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** Checks the request's token and remembers who it acts as; 401 when missing or wrong. */
    void authenticate(Context ctx) {
        if (!on()) {
            ctx.attribute(ATTRIBUTE, Caller.ADMIN);
            return;
        }
        String header = ctx.header("Authorization");
        if (header == null || header.isBlank()) {
            throw ApiProblem.unauthorized("this server needs a token: send 'Authorization: Bearer <token>'");
        }
        if (!header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw ApiProblem.unauthorized("the Authorization header must be 'Bearer <token>'");
        }
        String token = header.substring(7).trim();
        if (equal(token, adminToken)) {
            ctx.attribute(ATTRIBUTE, Caller.ADMIN);
            return;
        }
        String agentId = agentOf(token);
        if (agentId == null) {
            throw ApiProblem.unauthorized("the token is not valid on this server");
        }
        ctx.attribute(ATTRIBUTE, new Caller(agentId));
    }

    /** The agent a well-formed, genuine agent token belongs to, or null. */
    private String agentOf(String token) {
        int dot = token.indexOf('.');
        if (!token.startsWith(AGENT_PREFIX) || dot < 0) {
            return null;
        }
        try {
            String agentId = new String(Base64.getUrlDecoder().decode(token.substring(AGENT_PREFIX.length(), dot)),
                    StandardCharsets.UTF_8);
            return equal(token, agentToken(agentId)) ? agentId : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    static Caller caller(Context ctx) {
        Caller caller = ctx.attribute(ATTRIBUTE);
        return caller == null ? Caller.ADMIN : caller;
    }

    /** 403 unless the request may act as {@code agentId}. */
    void actAs(Context ctx, String agentId) {
        Caller caller = caller(ctx);
        if (!caller.isAdmin() && !caller.agentId().equals(agentId)) {
            throw ApiProblem.forbidden("the token of agent '" + caller.agentId() + "' may not act as agent '" + agentId
                    + "'");
        }
    }

    /** 403 unless the request is made with the admin token. */
    void requireAdmin(Context ctx, String what) {
        if (!caller(ctx).isAdmin()) {
            throw ApiProblem.forbidden(what + " needs the admin token");
        }
    }

    private static boolean equal(String a, String b) {
        return a != null && b != null && MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8),
                b.getBytes(StandardCharsets.UTF_8));
    }
}
