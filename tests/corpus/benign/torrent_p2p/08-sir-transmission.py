# SIR model on a contact network: transmission rate, seeding and peers
import networkx as nx
import numpy as np

rng = np.random.default_rng(7)
G = nx.barabasi_albert_graph(2000, 3, seed=7)
transmission_rate = 0.08
recovery_rate = 0.02
seed_nodes = rng.choice(G.number_of_nodes(), size=5, replace=False)

state = np.zeros(G.number_of_nodes(), dtype=int)  # 0=S 1=I 2=R
state[seed_nodes] = 1
history = []
for step in range(200):
    infected = np.flatnonzero(state == 1)
    for node in infected:
        for peer in G.neighbors(node):
            if state[peer] == 0 and rng.random() < transmission_rate:
                state[peer] = 1
        if rng.random() < recovery_rate:
            state[node] = 2
    history.append(np.bincount(state, minlength=3))
print(history[-1])
