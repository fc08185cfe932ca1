package synth

// Haitian surnames: French and Creole family names, many of them given
// names ("Pierre", "Joseph") or compounds ("Jean-Baptiste", "Fils-Aimé")
// that forms write with or without the hyphen.
const haitianSurnames = `Jean, Pierre, Joseph, Louis, Charles, Jean-Baptiste, Jean-Louis, Jean-Pierre,
Jean-Charles, Jean-Jacques, Saint-Louis, Saint-Fleur, Saint-Juste, Étienne, François, Désir, Dorvil,
Augustin, Célestin, Toussaint, Fils-Aimé, Noël, Beauvais, Alexis, Michel, Paul, Jacques, Simon,
Baptiste, Desrosiers, Dorcelus, Eugène, Exantus, Fleurant, Georges, Guerrier, Hyppolite, Innocent,
Joachim, Jeune, Julien, Laguerre, Lamour, Lafleur, Lafortune, Laurent, Lubin, Marcelin, Mathurin,
Métellus, Moïse, Nazaire, Obas, Petit-Frère, Philippe, Prophète, Rémy, Romain, Sanon, Similien,
Thélusma, Thermidor, Valcourt, Vilsaint, Volcy, Desamours, Dieujuste, Delva, Cadet, Bélizaire,
Bien-Aimé, Charlot, Chéry, Clerveaux, Compère, Datus, Dessalines, Destin, Dolcé, Dumas, Élien,
Estimé, Féquière, Germain, Gilles, Hilaire, Jacquet, Jolicoeur, Joseph-Louis, Lucien, Mentor,
Mérisier, Milfort, Noelsaint, Octave, Pierre-Louis, Placide, Raymond, Régis, Rosemond, Salomon,
Sévère, Sylvain, Telfort, Thomas, Tilus, Vincent, Zéphir, Accilien, Adrien, Altidor, Antoine,
Aristide, Auguste, Bastien, Benoît, Bernadin, Blanc, Bontemps, Brutus, Casimir, César, Charlemagne,
Cherenfant, Clervil, Constant, Damas, Daniel, Darius, Décius, Delinois, Démosthène, Denis,
Désiré, Dorélien, Duverné, Édouard, Élysée, Emmanuel, Ernest, Faustin, Félix, Fénelon, Florestal,
Fortuné, Gabriel, Gédéon, Gustave, Henrilus, Honorat, Isidore, Jasmin, Jérôme, Jovin, Labissière,
Lafontant, Lamarre, Lapointe, Léger, Lhérisson, Lindor, Lominy, Louissaint, Lundi, Magloire,
Manigat, Marcellus, Mardy, Mésidor, Michaud, Morisset, Narcisse, Norvilus, Olivier, Orélien,
Pamphile, Paulémon, Pélissier, Pétion, Phanor, Polynice, Préval, Prosper, Rigaud, Saintil,
Saintilus, Saint-Vil, Sénatus, Séraphin, Sterlin, Thévenin, Timothée, Valmé, Victor, Villard`

const haitianFemale = `Marie, Marie-Claire, Marie-Ange, Rose-Marie, Nadège, Fabienne, Guerline,
Mirlande, Widline, Esther, Micheline, Roseline, Ketly, Farah, Magalie, Nathalie, Sandrine, Judith,
Lourdes, Yolande, Gina, Vanessa, Myrlande, Darline, Jessica, Naomie, Kettia, Mideline, Mirlène,
Nancy, Rachelle, Sabine, Stéphanie, Wislande, Yveline, Gerda, Bernadette, Claudette, Josette,
Marlène, Mireille, Odette, Marie-Michelle, Marie-Thérèse, Marie-Josée, Marie-Carmel, Marie-Lourdes,
Marie-Yolène, Anne-Marie, Rose-Andrée, Fedna, Guerda, Ketlie, Lunie, Manoucheka, Medjine,
Nadine, Nerlande, Rose, Sherley, Tamara, Viergela, Wideline, Yvrose, Youseline, Dieula, Edeline,
Florence, Jacqueline, Josiane, Lucienne, Marjorie, Phara, Régine, Stéphanie, Valérie, Emmanuela,
Fabiola, Chantale, Germaine, Islande, Jeanine, Ludnie, Mardochée, Nicole, Roselande, Shelove`

const haitianMale = `Jean, Jean-Baptiste, Jean-Claude, Jean-Robert, Jean-Pierre, Jean-Marc,
Jean-Ronald, Pierre, Wilner, Fritz, Jocelyn, Ronald, Frantz, Ricardo, Emmanuel, Wesner, Dieudonné,
Jean-Louis, Jacques, Joseph, Lesly, Reginald, Roosevelt, Wilson, Wilfrid, Yves, Ernst, Gérald, Guy,
Harold, Herby, Jimmy, Junior, Kenold, Lionel, Louis, Marc, Maxime, Michel, Patrick, Peterson,
Rodney, Rony, Serge, Stanley, Steeve, Thony, Walner, Wesly, Widny, Wisly, Woodley, Yvon, Evens,
Jameson, Johnson, Mackenson, Dominique, Clervil, Jean-Philippe, Jean-Rony, Jean-Wilner,
Jean-Daniel, Jean-Eddy, Jean-Max, Jean-Gardy, Marc-Antoine, Pierre-Richard, Ralph, Réginald,
Alix, Carl, Daniel, Eddy, Fednel, Gardy, Garry, Herns, Jacksonn, Jeff, Josué, Kervens, Lens,
Lucson, Nesly, Olivier, Pascal, Ralphson, Renaud, Samuel, Smith, Wadson, Wendell, Wilkens`

const haitianNicknames = `Jean-Baptiste:Jean|J-Baptiste, Marie-Claire:Marie|Claire, Rose-Marie:Rose,
Jean-Claude:Jean|Claude, Jean-Robert:Robert, Jean-Pierre:Jean|Pierre, Emmanuel:Manno,
Marie-Ange:Marie, Jean-Marc:Marc, Jean-Louis:Jean, Dieudonné:Dieu, Marie-Thérèse:Thérèse,
Marie-Josée:Josée, Marie-Lourdes:Lourdes, Jean-Philippe:Philippe, Jean-Wilner:Wilner`
