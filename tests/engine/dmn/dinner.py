"""The dinner decisions of Camunda's DMN documentation, as one file Camunda Modeler writes: the tests of engine/dmn
evaluate it, the tests of the gateway and the REST API deploy it."""

from typing import Any

# The dish example of Camunda's documentation as Camunda Modeler 5 writes a DRD: decisions with their information
# requirements (required decisions and input data), a literal expression with its variable, the diagram (DMNDI).
DISH_DRD = b"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"
    xmlns:dmndi="https://www.omg.org/spec/DMN/20191111/DMNDI/" xmlns:dc="http://www.omg.org/spec/DMN/20180521/DC/"
    xmlns:modeler="http://camunda.org/schema/modeler/1.0" xmlns:di="http://www.omg.org/spec/DMN/20180521/DI/"
    xmlns:biodi="http://bpmn.io/schema/dmn/biodi/2.0" id="dinnerDecisions" name="Dinner Decisions"
    namespace="http://camunda.org/schema/1.0/dmn" exporter="Camunda Modeler" exporterVersion="5.37.0"
    modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.8.0">
  <decision id="beverages" name="Beverages">
    <informationRequirement id="InformationRequirement_1">
      <requiredDecision href="#dish" />
    </informationRequirement>
    <informationRequirement id="InformationRequirement_2">
      <requiredInput href="#InputData_children" />
    </informationRequirement>
    <decisionTable id="DecisionTable_beverages" hitPolicy="COLLECT">
      <input id="InputClause_dish" label="Dish" biodi:width="192">
        <inputExpression id="LiteralExpression_dish" typeRef="string">
          <text>dish</text>
        </inputExpression>
      </input>
      <input id="InputClause_children" label="Guests with children">
        <inputExpression id="LiteralExpression_children" typeRef="boolean">
          <text>guestsWithChildren</text>
        </inputExpression>
      </input>
      <input id="InputClause_season" label="Season (not required here)">
        <inputExpression id="LiteralExpression_season" typeRef="string">
          <text>season</text>
        </inputExpression>
      </input>
      <output id="OutputClause_beverages" label="Beverages" name="beverages" typeRef="string" />
      <rule id="DecisionRule_spareribs">
        <inputEntry id="UnaryTests_1"><text>"Spareribs"</text></inputEntry>
        <inputEntry id="UnaryTests_2"><text></text></inputEntry>
        <inputEntry id="UnaryTests_3"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_1"><text>"Aecht Schlenkerla Rauchbier"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_stew">
        <inputEntry id="UnaryTests_4"><text>"Stew"</text></inputEntry>
        <inputEntry id="UnaryTests_5"><text></text></inputEntry>
        <inputEntry id="UnaryTests_6"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_2"><text>"Guiness"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_roastbeef">
        <inputEntry id="UnaryTests_7"><text>"Roastbeef"</text></inputEntry>
        <inputEntry id="UnaryTests_8"><text></text></inputEntry>
        <inputEntry id="UnaryTests_9"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_3"><text>"Bordeaux"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_steak">
        <description>Steak goes with Pinot Noir</description>
        <inputEntry id="UnaryTests_10">
          <text>"Steak","Dry Aged Gourmet Steak","Light Salad and a nice Steak"</text>
        </inputEntry>
        <inputEntry id="UnaryTests_11"><text></text></inputEntry>
        <inputEntry id="UnaryTests_12"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_4"><text>"Pinot Noir"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_children">
        <inputEntry id="UnaryTests_13"><text></text></inputEntry>
        <inputEntry id="UnaryTests_14"><text>true</text></inputEntry>
        <inputEntry id="UnaryTests_15"><text></text></inputEntry>
        <outputEntry id="LiteralExpression_5"><text>"Apple Juice"</text></outputEntry>
      </rule>
      <rule id="DecisionRule_water">
        <inputEntry id="UnaryTests_16"><text>-</text></inputEntry>
        <inputEntry id="UnaryTests_17"><text>-</text></inputEntry>
        <inputEntry id="UnaryTests_18"><text>-</text></inputEntry>
        <outputEntry id="LiteralExpression_6"><text>"Water"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <decision id="dish" name="Dish">
    <informationRequirement id="InformationRequirement_3">
      <requiredDecision href="#season" />
    </informationRequirement>
    <informationRequirement id="InformationRequirement_4">
      <requiredDecision href="#guestCount" />
    </informationRequirement>
    <decisionTable id="DecisionTable_dish">
      <input id="Input_season" label="Season">
        <inputExpression id="InputExpression_season" typeRef="string">
          <text>season</text>
        </inputExpression>
      </input>
      <input id="Input_guests" label="How many guests">
        <inputExpression id="InputExpression_guests" typeRef="integer">
          <text>guestCount</text>
        </inputExpression>
      </input>
      <output id="Output_dish" label="Dish" name="desiredDish" typeRef="string" />
      <rule id="DishRule_1">
        <inputEntry id="DishTest_1"><text>"Fall"</text></inputEntry>
        <inputEntry id="DishTest_2"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="DishOut_1"><text>"Spareribs"</text></outputEntry>
      </rule>
      <rule id="DishRule_2">
        <inputEntry id="DishTest_3"><text>"Winter"</text></inputEntry>
        <inputEntry id="DishTest_4"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="DishOut_2"><text>"Roastbeef"</text></outputEntry>
      </rule>
      <rule id="DishRule_3">
        <inputEntry id="DishTest_5"><text>"Fall","Winter","Spring"</text></inputEntry>
        <inputEntry id="DishTest_6"><text>&gt; 8</text></inputEntry>
        <outputEntry id="DishOut_3"><text>"Stew"</text></outputEntry>
      </rule>
      <rule id="DishRule_4">
        <inputEntry id="DishTest_7"><text>"Spring","Summer"</text></inputEntry>
        <inputEntry id="DishTest_8"><text>&lt;= 8</text></inputEntry>
        <outputEntry id="DishOut_4"><text>"Steak"</text></outputEntry>
      </rule>
      <rule id="DishRule_5">
        <inputEntry id="DishTest_9"><text>"Summer"</text></inputEntry>
        <inputEntry id="DishTest_10"><text>&gt;= 8</text></inputEntry>
        <outputEntry id="DishOut_5"><text>"Light Salad and a nice Steak"</text></outputEntry>
      </rule>
    </decisionTable>
  </decision>
  <decision id="season" name="Season">
    <variable id="InformationItem_season" name="season" typeRef="string" />
    <informationRequirement id="InformationRequirement_5">
      <requiredInput href="#InputData_month" />
    </informationRequirement>
    <literalExpression id="LiteralExpression_season_logic">
      <text>if month &gt;= 3 and month &lt;= 5 then "Spring"
else if month &gt;= 6 and month &lt;= 8 then "Summer"
else if month &gt;= 9 and month &lt;= 11 then "Fall"
else "Winter"</text>
    </literalExpression>
  </decision>
  <decision id="guestCount" name="Guest count">
    <variable id="InformationItem_guests" name="guestCount" typeRef="number" />
    <literalExpression id="LiteralExpression_guests">
      <text>guests.adults + guests.children</text>
    </literalExpression>
  </decision>
  <inputData id="InputData_month" name="Month" />
  <inputData id="InputData_children" name="Guests with children" />
  <textAnnotation id="TextAnnotation_1">
    <text>Camunda's dinner example</text>
  </textAnnotation>
  <dmndi:DMNDI>
    <dmndi:DMNDiagram id="DMNDiagram_1">
      <dmndi:DMNShape id="DMNShape_beverages" dmnElementRef="beverages">
        <dc:Bounds height="80" width="180" x="250" y="80" />
      </dmndi:DMNShape>
      <dmndi:DMNEdge id="DMNEdge_1" dmnElementRef="InformationRequirement_1">
        <di:waypoint x="340" y="240" />
        <di:waypoint x="340" y="160" />
      </dmndi:DMNEdge>
    </dmndi:DMNDiagram>
  </dmndi:DMNDI>
</definitions>
"""

# the variables of a January dinner for six adults and two children: Bordeaux, apple juice and water
JANUARY_DINNER: dict[str, Any] = {"month": 1, "guests": {"adults": 6, "children": 2}, "guestsWithChildren": True}
