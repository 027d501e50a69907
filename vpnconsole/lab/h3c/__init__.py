"""Simulated H3C Comware router for the embedded lab (see :mod:`.device`, :mod:`.peer`, :mod:`.server`)."""

from .device import DeviceOptions, SimulatedH3C, CliSession
from .server import H3CServer, H3CServerThread, start_h3c_server
from .negotiation import ResponderChild, ResponderIke
from .peer import (
    DataPacket, DeleteNotice, Identity, IkeProposalOffer, Ikev2ProposalOffer, NegotiationResult, NullPeer,
    Offer, Peer, Phase1Result, Phase2Offer, Phase2Result, Selector, StaticPeer,
)

__all__ = [
    "DeviceOptions", "SimulatedH3C", "CliSession", "H3CServer", "H3CServerThread", "start_h3c_server",
    "Peer", "NullPeer", "StaticPeer", "Offer", "NegotiationResult", "Phase1Result", "Phase2Result",
    "Phase2Offer", "Selector", "Identity", "IkeProposalOffer", "Ikev2ProposalOffer", "DataPacket",
    "DeleteNotice", "ResponderIke", "ResponderChild",
]
