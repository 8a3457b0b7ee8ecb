class Client:
    def redirect_policy(self, policy):
        """How redirects are followed: the policy says how many redirects to follow and
        when following stops."""
        return self.configure(policy)

    def close(self):
        """Close the connections."""
        self.pool.close()
        self.pool = None


def follow_redirects(response, policy):
    """Redirects are followed until the policy says how many and following stops."""
    seen = 0
    while response.is_redirect and seen < policy.limit:
        response = response.next()
        seen += 1
    return response
