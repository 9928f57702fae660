package hive.client;

/**
 * The answer to {@link HiveClient#register}: the agent, and the token it acts with when the
 * server has auth on (see {@link HiveClient#withToken}). The token is handed out with auth off
 * too, where it is not checked.
 */
public record Registered(Agent agent, String token) {

    /** The agent's id (server-made when the registration named none). */
    public String id() {
        return agent.id();
    }

    @Override
    public String toString() {
        return "Registered[agent=" + agent + ", token=(hidden)]";
    }
}
