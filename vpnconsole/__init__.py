"""vpnconsole: one IPsec profile, both ends (H3C router and Alibaba Cloud VPN Gateway) agreeing."""

__version__ = "0.1.0"
